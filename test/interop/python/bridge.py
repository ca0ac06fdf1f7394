"""ONNX models as JSON + raw float32 data, the plain form esnac's importer and exporter use
(engine/interop/onnx-model.ts), for the tests while esnac has no protobuf reader of its own."""
import json

import numpy as np
import onnx
from onnx import helper, numpy_helper

FLOAT = onnx.TensorProto.FLOAT


def _tensor_to_json(t, blob):
    array = numpy_helper.to_array(t)
    entry = {'name': t.name, 'dims': list(t.dims), 'dataType': t.data_type}
    if t.data_type == FLOAT:
        entry['offset'] = sum(len(b) for b in blob) // 4
        blob.append(np.ascontiguousarray(array, dtype='<f4').tobytes())
    else:
        entry['ints'] = [int(v) for v in array.reshape(-1)]
    return entry


def _attribute_to_json(a, blob):
    value = helper.get_attribute_value(a)
    if isinstance(value, onnx.TensorProto):
        return {'tensor': _tensor_to_json(value, blob)}
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [v for v in value]
    return value


def _dims(value_info):
    shape = value_info.type.tensor_type.shape
    return [d.dim_value if d.HasField('dim_value') else d.dim_param for d in shape.dim]


def write_bridge(model, prefix):
    """Writes PREFIX.json and PREFIX.bin for an onnx.ModelProto."""
    blob = []
    g = model.graph
    opset = next(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))
    doc = {
        'irVersion': model.ir_version,
        'opsetVersion': opset,
        'producerName': model.producer_name,
        'graph': {
            'name': g.name,
            'nodes': [{
                'name': n.name, 'opType': n.op_type, 'domain': n.domain,
                'inputs': list(n.input), 'outputs': list(n.output),
                'attributes': {a.name: _attribute_to_json(a, blob) for a in n.attribute},
            } for n in g.node],
            'initializers': [_tensor_to_json(t, blob) for t in g.initializer],
            'inputs': [{'name': i.name, 'elemType': i.type.tensor_type.elem_type, 'dims': _dims(i)} for i in g.input],
            'outputs': [{'name': o.name, 'elemType': o.type.tensor_type.elem_type, 'dims': _dims(o)} for o in g.output],
        },
    }
    with open(prefix + '.json', 'w') as f:
        json.dump(doc, f)
    with open(prefix + '.bin', 'wb') as f:
        f.write(b''.join(blob))


def _tensor_from_json(entry, data):
    if 'offset' in entry:
        count = int(np.prod(entry['dims'], dtype=np.int64))
        array = data[entry['offset']:entry['offset'] + count].reshape(entry['dims'])
    else:
        array = np.array(entry['ints'], dtype=np.int64).reshape(entry['dims'])
    return numpy_helper.from_array(array, entry['name'])


def read_bridge(prefix):
    """The onnx.ModelProto of PREFIX.json + PREFIX.bin."""
    with open(prefix + '.json') as f:
        doc = json.load(f)
    data = np.fromfile(prefix + '.bin', dtype='<f4')
    g = doc['graph']
    nodes = []
    for n in g['nodes']:
        attributes = {k: _tensor_from_json(v['tensor'], data) if isinstance(v, dict) else v for k, v in n['attributes'].items()}
        nodes.append(helper.make_node(n['opType'], n['inputs'], n['outputs'], name=n['name'], domain=n['domain'], **attributes))
    value_info = lambda v: helper.make_tensor_value_info(v['name'], v['elemType'], v['dims'])
    graph = helper.make_graph(nodes, g['name'], [value_info(v) for v in g['inputs']], [value_info(v) for v in g['outputs']],
                              [_tensor_from_json(t, data) for t in g['initializers']])
    model = helper.make_model(graph, producer_name=doc['producerName'], opset_imports=[helper.make_opsetid('', doc['opsetVersion'])])
    model.ir_version = doc['irVersion']
    return model
