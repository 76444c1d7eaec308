import { describe, expect, it } from 'vitest';
import { IniSyntaxError, parseIni } from '../../shared/ini.js';

describe('parseIni: the original config files as Python configparser reads them', () => {
  it.each([
    ['key = value', '[s]\nkey = value', 'value'],
    ['key=value with no spaces', '[s]\nkey=value', 'value'],
    ['key: value', '[s]\nkey: value', 'value'],
    ['the first = or : splits', '[s]\nkey = http://h:80/a=b', 'http://h:80/a=b'],
    ['an empty value', '[s]\nkey =', ''],
    ['keys in any case', '[s]\nKEY = v', 'v'],
    ['an indented line continuing the value', '[s]\nkey = a\n  b', 'a\nb'],
    ['%% as a percent sign', '[s]\nkey = 50%%', '50%'],
    ['%(other)s from the same section', '[s]\nhost = h\nkey = http://%(host)s/x', 'http://h/x'],
    ['%(other)s from [DEFAULT]', '[DEFAULT]\nhost = h\n[s]\nkey = %(host)s', 'h'],
    ['a [DEFAULT] key seen in every section', '[DEFAULT]\nkey = d\n[s]\nother = 1', 'd'],
    ['whole-line # and ; comments, indented or not', '# c\n[s]\n; c\n  # c\nkey = v # not a comment', 'v # not a comment'],
    ['CRLF line ends', '[s]\r\nkey = v\r\n', 'v'],
  ])('reads %s', (_what, text, value) => {
    expect(parseIni(text).get('s', 'key')).toBe(value);
  });

  it('keeps section names as written (case-sensitive, as configparser)', () => {
    const ini = parseIni('[General]\nkey = v');
    expect(ini.get('General', 'key')).toBe('v');
    expect(ini.get('general', 'key')).toBeUndefined();
  });

  it.each([
    ['a key before any section', 'key = v', 'line 1: a key before any [section] header'],
    ['a line that is no key', '[s]\njust words', 'line 2: not a [section], a key = value line or a comment'],
    ['a key with no name', '[s]\n= v', 'line 2: not a [section]'],
    ['a section twice', '[s]\n[s]', 'line 2: section [s] appears twice'],
    ['a key twice', '[s]\nkey = 1\nKey = 2', 'line 3: key key appears twice'],
  ])('refuses %s, naming the line', (_what, text, message) => {
    expect(() => parseIni(text)).toThrow(IniSyntaxError);
    expect(() => parseIni(text)).toThrow(message);
  });

  it.each([
    ['a lone %', '[s]\nkey = 50%', "a lone '%'"],
    ['a reference to no key', '[s]\nkey = %(nope)s', '%(nope)s names no key of [s]'],
    ['references in a loop', '[s]\na = %(b)s\nb = %(a)s\nkey = %(a)s', 'nest deeper than 10'],
  ])('refuses %s when the key is read', (_what, text, message) => {
    const ini = parseIni(text);
    expect(() => ini.get('s', 'key')).toThrow(message);
  });
});
