import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { strftime } from '../../../daemon/log/index.ts';

// Tuesday 5 March 2024, 14:07:09.042 UTC (day 65 of a leap year).
const T = new Date(Date.UTC(2024, 2, 5, 14, 7, 9, 42));
const utc = { utc: true } as const;

describe('strftime (UTC)', () => {
  test("Spread's default format", () => {
    assert.equal(strftime('[%a %d %b %Y %H:%M:%S]', T, utc), '[Tue 05 Mar 2024 14:07:09]');
  });
  test('each conversion', () => {
    const cases: Array<[string, string]> = [
      ['%a', 'Tue'],
      ['%A', 'Tuesday'],
      ['%b', 'Mar'],
      ['%B', 'March'],
      ['%d', '05'],
      ['%e', ' 5'],
      ['%H', '14'],
      ['%I', '02'],
      ['%M', '07'],
      ['%S', '09'],
      ['%p', 'PM'],
      ['%y', '24'],
      ['%Y', '2024'],
      ['%m', '03'],
      ['%j', '065'],
      ['%Z', 'UTC'],
      ['%z', '+0000'],
      ['%%', '%'],
      ['%T', '14:07:09'],
      ['%F', '2024-03-05'],
      ['%D', '03/05/24'],
      ['%R', '14:07'],
      ['%s', String(Math.floor(T.getTime() / 1000))],
    ];
    for (const [f, want] of cases) assert.equal(strftime(f, T, utc), want, f);
  });
  test('midnight and noon in 12-hour form; AM', () => {
    assert.equal(strftime('%I %p', new Date(Date.UTC(2024, 0, 1, 0, 0, 0)), utc), '12 AM');
    assert.equal(strftime('%I %p', new Date(Date.UTC(2024, 0, 1, 12, 0, 0)), utc), '12 PM');
    assert.equal(strftime('%j', new Date(Date.UTC(2024, 11, 31)), utc), '366');
  });
  test('unknown conversions and a trailing % are copied', () => {
    assert.equal(strftime('%Q %H %', T, utc), '%Q 14 %');
  });
  test('precise: microseconds after the seconds, or at the end without %S', () => {
    assert.equal(strftime('[%H:%M:%S]', T, { utc: true, precise: true }), '[14:07:09.042000]');
    assert.equal(strftime('%T', T, { utc: true, precise: true, micros: 7 }), '14:07:09.000007');
    assert.equal(strftime('%H:%M', T, { utc: true, precise: true }), '14:07.042000');
  });
});

describe('strftime (local time)', () => {
  test('uses the local fields and offset', () => {
    const off = -T.getTimezoneOffset();
    const sign = off < 0 ? '-' : '+';
    const abs = Math.abs(off);
    const z = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
    assert.equal(strftime('%H:%M %z', T), `${String(T.getHours()).padStart(2, '0')}:${String(T.getMinutes()).padStart(2, '0')} ${z}`);
    assert.ok(strftime('%Z', T).length > 0);
  });
});
