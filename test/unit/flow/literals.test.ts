// Decorator arguments, parameters and docstrings are read as Python would evaluate the literals.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { FlowAnalyzer } from '../../../src/flow/types';
import { analyzeText, newAnalyzer, onlyFlow } from './analyzeSource';

describe('literal values', () => {
  let analyzer: FlowAnalyzer;
  before(async () => {
    analyzer = await newAnalyzer();
  });

  test('decorator keyword and positional arguments', () => {
    const flow = onlyFlow(analyzeText(analyzer, `from metaflow import FlowSpec, step
import metaflow as mf
N = 3

@mf.project(name="p")
class F(FlowSpec):
    @mf.card("blank", id='x\\ty', options={1: (2, 3.5e2), "k": [True, None, -4]})
    @mf.retry(times=0x10, note=r"raw\\n" "+more", f=f"{N}", g=f"plain {{x}}", b=b"bytes", big=1_000, neg=-(2), **EXTRA)
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`));
    assert.deepEqual(flow.decorators.map((d) => [d.name, d.attributes]), [['project', { name: 'p' }]]);
    const [card, retry] = flow.steps[0].decorators;
    assert.equal(card.name, 'card');
    assert.deepEqual(card.args, ['blank']);
    assert.deepEqual(card.attributes, { id: 'x\ty', options: { 1: [2, 350], k: [true, null, -4] } });
    assert.deepEqual(retry.attributes, {
      times: 16,
      note: 'raw\\n+more',
      f: { $expr: 'f"{N}"' },
      g: 'plain {x}',
      b: { $expr: 'b"bytes"' },
      big: 1000,
      neg: -2,
      '**': { $expr: '**EXTRA' },
    });
  });

  test('a key or keyword named __proto__ is kept as data, never as the prototype of the value', () => {
    const flow = onlyFlow(analyzeText(analyzer, `from metaflow import FlowSpec, Parameter, resources, step

class F(FlowSpec):
    p = Parameter("p", default={"__proto__": {"cpu": 64}})

    @resources(__proto__={"cpu": 64})
    @step
    def start(self):
        self.next({"__proto__": self.a, "b": self.end}, condition="v")

    @step
    def a(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`));
    assert.deepEqual(flow.steps[0].switchCases, { ['__proto__']: 'a', b: 'end' });
    assert.deepEqual(flow.steps[0].next, ['a', 'end']);
    const attributes = flow.steps[0].decorators[0].attributes;
    assert.deepEqual(Object.keys(attributes), ['__proto__']);
    assert.equal((attributes as Record<string, unknown>).cpu, undefined);
    assert.equal(JSON.stringify(attributes), '{"__proto__":{"cpu":64}}');
    assert.equal(JSON.stringify(flow.parameters[0].default), '{"__proto__":{"cpu":64}}');
  });

  test('parameters: names, types, defaults, help, required, separator', () => {
    const flow = onlyFlow(analyzeText(analyzer, `from metaflow import FlowSpec, Parameter as P, IncludeFile, Config, JSONType, step

class F(FlowSpec):
    lr = P("learning-rate", default=0.1, help="""Step size""")
    n = P("n", type=int, default=3, required=True)
    names = P("names", default="a;b", separator=";")
    cfg = P("cfg", type=JSONType, default='{}')
    anything = P("anything")
    text = IncludeFile("text", is_text=True)
    conf = Config("conf", default="conf.json")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`));
    const byAttr = new Map(flow.parameters.map((p) => [p.attribute, p]));
    assert.deepEqual(flow.parameters.map((p) => p.attribute), ['lr', 'n', 'names', 'cfg', 'anything', 'text', 'conf']);
    assert.deepEqual({ ...byAttr.get('lr')!, range: undefined }, { attribute: 'lr', name: 'learning-rate', kind: 'Parameter', type: 'float', default: 0.1, help: 'Step size', range: undefined });
    assert.equal(byAttr.get('n')!.type, 'int');
    assert.equal(byAttr.get('n')!.required, true);
    assert.equal(byAttr.get('names')!.separator, ';');
    assert.equal(byAttr.get('cfg')!.type, 'JSONType');
    assert.equal(byAttr.get('anything')!.type, 'str');
    assert.equal(byAttr.get('anything')!.default, undefined);
    assert.equal(byAttr.get('text')!.kind, 'IncludeFile');
    assert.equal(byAttr.get('conf')!.kind, 'Config');
    assert.equal(byAttr.get('conf')!.default, 'conf.json');
  });

  test('docstrings are de-indented the way Metaflow shows them', () => {
    const flow = onlyFlow(analyzeText(analyzer, `from metaflow import FlowSpec, step

class F(FlowSpec):
    """
    First line.

        Indented more.
    Last line.
    """

    @step
    def start(self):
        '''One line.'''
        self.next(self.end)

    @step
    def end(self):
        pass
`));
    assert.equal(flow.doc, 'First line.\n\n    Indented more.\nLast line.');
    assert.equal(flow.steps[0].doc, 'One line.');
    assert.equal(flow.steps[1].doc, undefined);
  });
});
