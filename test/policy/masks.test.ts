import { createHmac } from 'node:crypto';
import {
  MASK_KINDS,
  REDACTED,
  applyMask,
  maskAccount,
  maskCity,
  maskCoarse,
  maskIpPrefix,
  maskLast4,
  maskName,
  maskPhone,
  maskPseudonym,
  maskYear,
} from '../../src/policy';
import type { MaskKind } from '../../src/policy';

type StringMask = (value: unknown) => string | null;

/** Edge cases every string mask shares. */
const SHARED: Array<[string, unknown, string | null]> = [
  ['null stays null', null, null],
  ['undefined becomes null', undefined, null],
  ['an empty string stays empty', '', ''],
  ['a number is withheld', 13812345678, REDACTED],
  ['an object is withheld', { value: 'x' }, REDACTED],
  ['an array is withheld', ['13812345678'], REDACTED],
];

const STRING_MASKS: Array<[string, StringMask]> = [
  ['maskPhone', maskPhone],
  ['maskName', maskName],
  ['maskAccount', maskAccount],
  ['maskLast4', maskLast4],
  ['maskYear', maskYear],
  ['maskCity', maskCity],
  ['maskIpPrefix', maskIpPrefix],
  ['maskPseudonym', (value) => maskPseudonym('secret', 'client', value)],
];

describe.each(STRING_MASKS)('%s on odd input', (_name, mask) => {
  it.each(SHARED)('%s', (_case, value, output) => {
    expect(mask(value)).toBe(output);
  });
});

describe('maskPhone', () => {
  it.each([
    ['13812345678', '138****5678'],
    ['13987654321', '139****4321'],
    ['+8613812345678', '+86*******5678'],
    ['12345678', '123*5678'],
    ['1234567', REDACTED], // nothing would stay hidden
    ['110', REDACTED],
    ['5', REDACTED],
  ])('%s → %s', (input, output) => expect(maskPhone(input)).toBe(output));
});

describe('maskName', () => {
  it.each([
    ['Alice Wang', 'A**** W***'],
    ['Bob Li', 'B** L*'],
    ['王小明', '王**'],
    ['李雷', '李*'],
    ['José Álvarez', 'J*** Á******'],
    ['Mary-Jane  O\'Neil', 'M********  O*****'], // spacing kept, punctuation starred
    ['Alice W', 'A**** W'],
    ['𠮷野家', '𠮷**'], // a character outside the BMP is one code point
    ['A', REDACTED], // a 1-letter name would be shown whole
    ['王', REDACTED],
    ['A B', REDACTED],
    ['   ', REDACTED],
  ])('%j → %j', (input, output) => expect(maskName(input)).toBe(output));
});

describe('maskAccount', () => {
  it.each([
    ['alice.wang@example.com', 'a***@example.com'],
    ['a@example.com', 'a***@example.com'],
    ['张三@例子.中国', '张***@例子.中国'],
    ['wx_bob_2291', 'wx***91'],
    ['13812345678', '13***78'],
    ['abcde', 'ab***de'],
    ['abcd', REDACTED],
    ['ab', REDACTED],
    ['a@b@c.com', 'a@***om'], // not an e-mail address: first 2 and last 2
    ['@example.com', '@e***om'],
  ])('%s → %s', (input, output) => expect(maskAccount(input)).toBe(output));
});

describe('maskLast4', () => {
  it.each([
    ['6222021234567890123', '***************0123'],
    ['4111 1111 1111 1111', '***************1111'],
    ['12/29', '**/**'],
    ['1/29', '**/**'],
    ['12/2029', '**/**'],
    ['12345', '*2345'],
    ['1234', REDACTED],
    ['12', REDACTED],
  ])('%s → %s', (input, output) => expect(maskLast4(input)).toBe(output));
});

describe('maskYear', () => {
  it.each([
    ['1990-05-17', '1990'],
    ['2014-03-09', '2014'],
    ['2012-02-29', '2012'],
    ['2013-02-29', REDACTED],
    ['1990-13-01', REDACTED],
    ['1990', REDACTED],
    ['17/05/1990', REDACTED],
    ['1990-05-17T00:00:00Z', REDACTED],
  ])('%s → %s', (input, output) => expect(maskYear(input)).toBe(output));
});

describe('maskCity', () => {
  it.each([
    ['Xiamen, Siming District, 8 Lianqian Rd', 'Xiamen'],
    ['  Shanghai ,Pudong', 'Shanghai'],
    ['厦门市，思明区莲前路8号', '厦门市'],
    ['8 Lianqian Rd Xiamen', REDACTED], // no comma: no city to keep
    [', Siming District', REDACTED],
  ])('%j → %j', (input, output) => expect(maskCity(input)).toBe(output));
});

describe('maskCoarse', () => {
  it.each<[string, unknown, unknown]>([
    ['the SPEC example', { lat: 24.4798, lng: 118.0894, accuracyM: 15 }, { lat: 24.5, lng: 118.1, accuracyM: 11000 }],
    ['negative coordinates', { lat: -33.8688, lng: -151.2093, accuracyM: 5 }, { lat: -33.9, lng: -151.2, accuracyM: 11000 }],
    ['no accuracy, extra fields dropped', { lat: 0.04, lng: -0.04, accuracyM: null, wifi: 'x' }, { lat: 0, lng: 0, accuracyM: 11000 }],
    ['null', null, null],
    ['undefined', undefined, null],
    ['a string', '24.4798,118.0894', null],
    ['a missing lng', { lat: 24.4798 }, null],
    ['string coordinates', { lat: '24.4', lng: '118.0' }, null],
    ['NaN', { lat: Number.NaN, lng: 1 }, null],
    ['out of range', { lat: 91, lng: 1 }, null],
  ])('%s', (_case, input, output) => {
    expect(maskCoarse(input)).toEqual(output);
  });

  it('never reports negative zero', () => {
    expect(Object.is(maskCoarse({ lat: -0.01, lng: 0, accuracyM: 1 })?.lat, 0)).toBe(true);
  });

  it('degrades to null when reading the value throws', () => {
    const hostile = Object.defineProperty({}, 'lat', { get: () => { throw new Error('boom'); } });
    expect(maskCoarse(hostile)).toBeNull();
  });
});

describe('maskIpPrefix', () => {
  it.each([
    ['203.0.113.42', '203.0.113.0'],
    ['10.0.0.1', '10.0.0.0'],
    ['255.255.255.255', '255.255.255.0'],
    ['2001:db8:1:2::5', '2001:db8:1::'],
    ['2001:0DB8:0001:0002:0003:0004:0005:0006', '2001:db8:1::'],
    ['2001:db8::1', '2001:db8::'],
    ['2001:db8:abcd:12:34:56:78:9a', '2001:db8:abcd::'],
    ['fe80::1%eth0', 'fe80::'],
    ['::1', '::'],
    ['::', '::'],
    ['1::', '1::'],
    ['0:0:1::', '0:0:1::'],
    ['::ffff:203.0.113.42', '::ffff:203.0.113.0'],
    ['::ffff:cb00:712a', '::ffff:203.0.113.0'],
    ['64:ff9b::203.0.113.42', '64:ff9b::'],
    ['203.0.113', REDACTED],
    ['203.0.113.256', REDACTED],
    ['203.0.113.042', REDACTED],
    ['203.0.113.42:8080', REDACTED],
    [' 203.0.113.42', REDACTED],
    ['2001:db8:::1', REDACTED],
    ['2001:db8::1::2', REDACTED],
    ['1:2:3:4:5:6:7:8:9', REDACTED],
    ['1:2:3:4:5:6:7', REDACTED],
    ['1:2:3:4:5:6:7::8', REDACTED],
    ['12345::', REDACTED],
    ['2001:db8::g', REDACTED],
    ['::203.0.113.42:1', REDACTED],
    ['fe80::1%', REDACTED],
    ['localhost', REDACTED],
    ['0.0.0.0', '0.0.0.0'],
    ['1.2.3.4.', REDACTED],
    ['1..2.3', REDACTED],
    ['1.2.3.4.5', REDACTED],
    ['1.2.3.1000', REDACTED],
    ['00.1.2.3', REDACTED],
    ['1.2.3.٤', REDACTED],
    ['::ffff:1.2.3.04', REDACTED],
  ])('%s → %s', (input, output) => expect(maskIpPrefix(input)).toBe(output));

  it('reads a dotted quad exactly as the rule states it, over many generated strings', () => {
    // The rule, as a regular expression: four decimal octets of 1–3 ASCII digits, none above 255, no leading zero.
    const rule = (t: string) => {
      const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(t);
      const ok = !!m && m.slice(1).every((o) => String(Number(o)) === o && Number(o) <= 255);
      return ok ? `${m![1]}.${m![2]}.${m![3]}.0` : null;
    };
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pieces = ['0', '1', '9', '10', '25', '199', '255', '0', '7', '42', '256', '099', '00', '1000', '', 'a', ' ', '-1'];
    let quads = 0;
    for (let i = 0; i < 5000; i++) {
      const n = next() < 0.8 ? 4 : 2 + Math.floor(next() * 4);
      const t = Array.from({ length: n }, () => pieces[Math.floor(next() * pieces.length)]).join('.');
      const expected = rule(t);
      if (expected) quads++;
      const masked = maskIpPrefix(t);
      // Not a dotted quad: the IPv6 reading refuses it too (no ':'), so the value is withheld.
      expect([t, masked]).toEqual([t, expected ?? REDACTED]);
    }
    expect(quads).toBeGreaterThan(200);
  });
});

describe('maskPseudonym', () => {
  const deviceId = 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF';

  it('is psn_ and 22 characters of base64url(HMAC-SHA256(secret, clientId:value))', () => {
    const digest = createHmac('sha256', 'pepper').update(`mall-app:${deviceId}`).digest('base64url');
    expect(maskPseudonym('pepper', 'mall-app', deviceId)).toBe(`psn_${digest.slice(0, 22)}`);
    expect(maskPseudonym('pepper', 'mall-app', deviceId)).toMatch(/^psn_[A-Za-z0-9_-]{22}$/);
  });

  it('equals createHmac over keys and messages of every length: ASCII, multi-byte, astral, empty, past one block and past the preallocated buffer', () => {
    const rand = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const next = rand(21);
    const alphabet = ['a', 'Z', '0', ':', '-', 'é', 'ß', '中', '文', '😀', '\u0000', ' '];
    const text = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    const secrets = ['pepper', '', 'k'.repeat(64), 'k'.repeat(65), text(100), text(10)];
    const lengths = [0, 1, 20, 55, 56, 63, 64, 65, 119, 120, 200, 400, 440, 443, 444, 445, 446, 447, 448, 449, 500, 2000];
    let checked = 0;
    for (const secret of secrets) {
      for (const n of lengths) {
        for (const value of [text(n), 'x'.repeat(n), '😀'.repeat(Math.ceil(n / 4))]) {
          if (value === '') continue; // '' stays '' (maskText)
          const expected = createHmac('sha256', secret).update(`mall-app:${value}`).digest('base64url').slice(0, 22);
          expect([secret.length, n, maskPseudonym(secret, 'mall-app', value)]).toEqual([secret.length, n, `psn_${expected}`]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('is stable for one client and unlinkable across clients and secrets', () => {
    const forMall = maskPseudonym('pepper', 'mall-app', deviceId);
    expect(maskPseudonym('pepper', 'mall-app', deviceId)).toBe(forMall);
    expect(maskPseudonym('pepper', 'analytics-sdk', deviceId)).not.toBe(forMall);
    expect(maskPseudonym('salt', 'mall-app', deviceId)).not.toBe(forMall);
    expect(maskPseudonym('pepper', 'mall-app', 'AA:BB:CC:DD:EE:01')).not.toBe(forMall);
  });
});

describe('applyMask', () => {
  const ctx = { secret: 'pepper', clientId: 'mall-app' };

  it.each<[MaskKind, unknown, unknown]>([
    ['PHONE', '13812345678', '138****5678'],
    ['NAME', 'Alice Wang', 'A**** W***'],
    ['ACCOUNT', 'alice.wang@example.com', 'a***@example.com'],
    ['LAST4', '12/29', '**/**'],
    ['YEAR', '1990-05-17', '1990'],
    ['CITY', 'Xiamen, Siming District, 8 Lianqian Rd', 'Xiamen'],
    ['COARSE', { lat: 24.4798, lng: 118.0894, accuracyM: 15 }, { lat: 24.5, lng: 118.1, accuracyM: 11000 }],
    ['IP_PREFIX', '203.0.113.42', '203.0.113.0'],
    ['PSEUDONYM', 'AA:BB:CC:DD:EE:01', maskPseudonym('pepper', 'mall-app', 'AA:BB:CC:DD:EE:01')],
  ])('%s', (kind, value, output) => {
    expect(applyMask(kind, value, ctx)).toEqual(output);
  });

  it('implements every mask of the vocabulary and never throws', () => {
    const odd: unknown[] = [null, undefined, '', 'x', 42, {}, [], Symbol('s'), () => 1, { lat: 'x' }];
    for (const kind of MASK_KINDS) {
      for (const value of odd) expect(() => applyMask(kind, value, ctx)).not.toThrow();
      expect(applyMask(kind, 'x', ctx)).not.toBe('x');
    }
  });

  it('withholds the value for a kind it does not know', () => {
    expect(applyMask('TOSTRING' as MaskKind, 'secret', ctx)).toBeNull();
    expect(applyMask('toString' as MaskKind, 'secret', ctx)).toBeNull();
  });
});

describe('characters beyond the BMP count as one', () => {
  it.each<[string, string, string, StringMask]>([
    ['maskPhone', '𠮷𠮷𠮷12345678', '𠮷𠮷𠮷****5678', maskPhone],
    ['maskAccount', '𠮷𠮷abc𠮷𠮷', '𠮷𠮷***𠮷𠮷', maskAccount],
    ['maskAccount', '𠮷x@example.com', '𠮷***@example.com', maskAccount],
    ['maskLast4', '12𠮷𠮷𠮷𠮷', '**𠮷𠮷𠮷𠮷', maskLast4],
  ])('%s: %s → %s', (_name, input, output, mask) => {
    expect(mask(input)).toBe(output);
  });
});
