import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrailproofError } from '../../src/errors.js';
import { formatPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from '../../src/keys/pkcs11-uri.js';

/** RFC 7512 URIs: a strict parser (valid/invalid table, properties), and no PIN in any message. */
const M = 'module-path=/usr/lib/softhsm/libsofthsm2.so';

describe('parsePkcs11Uri', () => {
  it('reads the attributes of a typical URI, percent-decoded', () => {
    const u = parsePkcs11Uri(`pkcs11:token=My%20Token;object=trail%2Fkey;id=%01%AB;type=private;slot-id=3?${M}&pin-value=12%2634`);
    expect(u.path.token).toBe('My Token');
    expect(u.path.object).toBe('trail/key');
    expect([...u.idBytes!]).toEqual([1, 0xab]);
    expect(u.path['slot-id']).toBe('3');
    expect(u.modulePath).toBe('/usr/lib/softhsm/libsofthsm2.so');
    expect(u.pinValue).toBe('12&34');
    expect(parsePkcs11Uri(`PKCS11:object=k?${M}&pin-source=file:/etc/pin`).pinSource).toBe('file:/etc/pin');
  });

  it.each([
    ['not pkcs11', `pkcs12:object=k?${M}`, /must start with pkcs11:/],
    ['no module', 'pkcs11:object=k', /module-path .* is required/],
    ['relative module', 'pkcs11:object=k?module-path=lib.so', /module-path/],
    ['module-name', `pkcs11:object=k?module-name=softhsm2&${M}`, /module-name is not supported/],
    ['no key named', `pkcs11:token=t?${M}`, /object= .* or id=/],
    ['repeated path attribute', `pkcs11:object=a;object=b?${M}`, /object appears twice/],
    ['repeated query attribute', `pkcs11:object=a?${M}&${M}`, /module-path appears twice/],
    ['pin-value and pin-source', `pkcs11:object=a?${M}&pin-value=1&pin-source=/p`, /not both/],
    ['unknown attribute', `pkcs11:objekt=a?${M}`, /unknown path attribute objekt/],
    ['vendor attribute', `pkcs11:object=a;x-foo=1?${M}`, /vendor attribute x-foo/],
    ['bad percent', `pkcs11:object=a%2?${M}`, /must be percent-encoded/],
    ['space', `pkcs11:object=a b?${M}`, /must be percent-encoded/],
    ['type public', `pkcs11:object=a;type=public?${M}`, /type must be private/],
    ['bad type', `pkcs11:object=a;type=key?${M}`, /type must be/],
    ['slot-id not a number', `pkcs11:object=a;slot-id=x?${M}`, /slot-id/],
    ['a slash in the path', `pkcs11:object=a/b?${M}`, /"\/" or "#"/],
    ['a fragment', `pkcs11:object=a?${M}#x`, /"\/" or "#"/],
    ['no "="', `pkcs11:object?${M}`, /without a name or "="/],
    ['pin-source a command', `pkcs11:object=a?${M}&pin-source=%7Ccat`, /pin-source must be/],
    ['not UTF-8', `pkcs11:object=%FF?${M}`, /not UTF-8/],
    ['a control character', `pkcs11:object=%0A?${M}`, /control character/],
  ])('refuses %s', (_name, uri, message) => {
    expect(() => parsePkcs11Uri(uri)).toThrow(message);
  });

  const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !/[\u0000-\u001f\u007f\uFFFD]/.test(s));
  const uriArb: fc.Arbitrary<Pkcs11Uri> = fc
    .record({
      token: fc.option(text, { nil: undefined }),
      object: text,
      serial: fc.option(text, { nil: undefined }),
      id: fc.option(fc.uint8Array({ minLength: 1, maxLength: 8 }), { nil: undefined }),
      module: fc.stringMatching(/^\/[a-z0-9/._-]{1,30}$/),
      pin: fc.option(text, { nil: undefined }),
    })
    .map((r) => {
      const path: Record<string, string> = { object: r.object };
      if (r.token !== undefined) path.token = r.token;
      if (r.serial !== undefined) path.serial = r.serial;
      if (r.id) path.id = [...r.id].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
      return { path, idBytes: r.id, modulePath: r.module, pinValue: r.pin, pinSource: undefined };
    });

  it('parse(format(u)) == u (property)', () => {
    fc.assert(
      fc.property(uriArb, (u) => {
        const back = parsePkcs11Uri(formatPkcs11Uri(u, { withPin: true }));
        expect(back.path).toEqual(u.path);
        expect(back.idBytes && [...back.idBytes]).toEqual(u.idBytes && [...u.idBytes]);
        expect(back.modulePath).toBe(u.modulePath);
        expect(back.pinValue).toBe(u.pinValue);
        expect(parsePkcs11Uri(formatPkcs11Uri(u, { withPin: false })).pinValue).toBeUndefined();
      }),
    );
  });

  it('any text either parses or fails with a TrailproofError that never holds the PIN (property)', () => {
    const secret = 'S3cr3tPinZZ';
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 40 }), (before, after) => {
        for (const uri of [`pkcs11:${before}?pin-value=${secret}${after}`, `pkcs11:${before}${after}&pin-value=${secret}`, `${before}pin-value=${secret}`]) {
          try {
            parsePkcs11Uri(uri);
          } catch (err) {
            expect(err).toBeInstanceOf(TrailproofError);
            expect((err as Error).message).not.toContain(secret);
            expect((err as Error).message).not.toContain('\n');
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
