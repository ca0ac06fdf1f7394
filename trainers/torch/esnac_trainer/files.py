"""Reading the engine's JSON files and writing files whole or not at all."""
import ctypes
import json
import os


class FormatError(ValueError):
    """A file that is not what the engine writes there."""


def read_format(path, *expected_formats):
    """The JSON object in `path`, whose `format` must be one of `expected_formats`."""
    try:
        with open(path, encoding='utf-8') as f:
            value = json.load(f)
    except (OSError, ValueError) as err:
        raise FormatError(f'{path}: {err}') from err
    if not isinstance(value, dict) or value.get('format') not in expected_formats:
        found = value.get('format') if isinstance(value, dict) else None
        raise FormatError(f'{path}: format is {found!r}, expected {" or ".join(map(repr, expected_formats))}')
    return value


def write_whole(path, data):
    partial = path + '.partial'
    with open(partial, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


def tensor_bytes(tensor):
    """A tensor's values as bytes in memory order, in its own dtype (little-endian on every machine torch builds for)."""
    flat = tensor.detach().cpu().contiguous().view(-1)
    return ctypes.string_at(flat.data_ptr(), flat.element_size() * flat.numel()) if flat.numel() else b''
