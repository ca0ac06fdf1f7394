"""Reading the engine's JSON files and writing files whole or not at all."""
import json
import os


class FormatError(ValueError):
    """A file that is not what the engine writes there."""


def read_format(path, expected_format):
    """The JSON object in `path`, whose `format` must be `expected_format`."""
    try:
        with open(path, encoding='utf-8') as f:
            value = json.load(f)
    except (OSError, ValueError) as err:
        raise FormatError(f'{path}: {err}') from err
    if not isinstance(value, dict) or value.get('format') != expected_format:
        found = value.get('format') if isinstance(value, dict) else None
        raise FormatError(f'{path}: format is {found!r}, expected {expected_format!r}')
    return value


def write_whole(path, data):
    partial = path + '.partial'
    with open(partial, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)
