import { describe, expect, it } from 'vitest';
import { PyFloat, pyDumps, pyFloatText } from '../../../server/render/python-json.js';

describe('pyFloatText (Python float repr)', () => {
  it.each([
    [0, '0.0'],
    [1, '1.0'],
    [-2, '-2.0'],
    [0.1, '0.1'],
    [1795321580.9598508, '1795321580.9598508'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1.5e-7, '1.5e-07'],
    [1e16, '1e+16'],
    [123456789012345.6, '123456789012345.6'],
    [2.5e21, '2.5e+21'],
    // Either side of where plain decimals end (printed by Python 3.11)
    [9999999999999998, '9999999999999998.0'],
    [1e15, '1000000000000000.0'],
    [0.00012345, '0.00012345'],
    [0.00009999, '9.999e-05'],
    [-0.5, '-0.5'],
    [0.30000000000000004, '0.30000000000000004'],
    [123, '123.0'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
  ])('%s → %s', (n, text) => {
    expect(pyFloatText(n)).toBe(text);
  });
});

describe('pyDumps', () => {
  it('uses json.dumps default separators and ensure_ascii', () => {
    expect(pyDumps({ a: 1, b: [true, null, 'x'], c: new PyFloat(2), d: 'Zürich' })).toBe('{"a": 1, "b": [true, null, "x"], "c": 2.0, "d": "Z\\u00fcrich"}');
  });
});
