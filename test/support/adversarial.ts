import fc from 'fast-check';

/**
 * Arbitraries for hostile input, shared by the fuzz tests: wrong types, huge and non-finite numbers,
 * invalid and IPv4-mapped addresses, oversized strings, prototype-pollution keys.
 */

export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];

/** What issue 15 saw served: names and zone ids that rewrite a proxy list, a PAC file or a shell line. */
export const ISSUE15_NAMES = [
  '$(touch${IFS}/tmp/x)',
  'a;DIRECT',
  'evil|http://rogue.example:3128',
  'x)(proxyurl=http://rogue.example:3128',
  "');alert(1);//",
  '[x]@127.0.0.1:19050/.uvic.ca',
  'fe80::1%eth0',
  'fe80::1%<script>,x',
  '::ffff:142.104.1.1%<script>,x',
  'fe80::1%\u2028',
  'x\u2028y',
  'Squid.UVic.CA.',
  'constructor',
];

export const hostileString = fc.oneof(
  fc.constantFrom(...ISSUE15_NAMES),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', 'null', 'true', 'NaN', 'Infinity', '-Infinity', '1e999', '-0', '0x10', '1,5', '3128abc', '%00', '\u0000', '\ud800', '"quoted"', 'a,b', '<script>'),
  fc.constantFrom(...PROTOTYPE_KEYS),
  fc.integer({ min: 200, max: 20_000 }).map((n) => 'x'.repeat(n)),
);

export const hostileAddress = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((ip) => `::ffff:${ip}`),
  fc.ipV4().map((ip) => `::FFFF:${ip}`),
  fc.constantFrom('999.1.1.1', '1.2.3', '1.2.3.4.5', '01.02.03.04', '1.2.3.4/24', '::ffff:999.1.1.1', 'fe80::1%eth0', '[::1]', 'localhost', '0.0.0.0', '255.255.255.255', '::', ''),
  hostileString,
);

export const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, -1, 65535, 65536, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Number.MIN_VALUE, 1e308, -1e308),
);

/** Any JSON value, including deep and wide ones. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  hostileString,
  hostileNumber,
  hostileAddress,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(hostileString, { maxLength: 300 }),
  fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS, 'a', 'b'), fc.jsonValue({ maxDepth: 2 })),
);

/** JSON number tokens that JSON.stringify cannot produce but a hostile publisher can send as text. */
export const rawNumberToken = fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '1e-999', '00', '-0', '1.', '.5', '0x10', '9'.repeat(400));
