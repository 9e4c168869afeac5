import { describe, expect, it } from 'vitest';
import { cloudList, gb, monthly, monthlyDelta, money, offeredIn, orderablePlans, planLabel, planSize, provisionErrorField } from './fleet';

const cx22 = { name: 'cx22', cores: 2, memoryGb: 4, diskGb: 40, monthlyPrice: 3.79, currency: 'EUR', architecture: 'x86', regions: ['fsn1', 'nbg1', 'hel1'], deprecated: false };

describe('prices', () => {
  it('are written with their currency', () => {
    expect(money(3.79, 'EUR')).toBe('€3.79');
    expect(money(24, 'USD')).toBe('$24.00');
    expect(money(5, 'XYZW')).toBe('5.00 XYZW');
  });
  it('say a month, or that they are unknown', () => {
    expect(monthly(3.79, 'EUR')).toBe('€3.79 / month');
    expect(monthly(null, 'EUR')).toBe('price unknown');
  });
  it('show the sign of a change', () => {
    expect(monthlyDelta(7.58, 'EUR')).toBe('+€7.58 / month');
    expect(monthlyDelta(-3.79, 'EUR')).toBe('−€3.79 / month');
    expect(monthlyDelta(0, 'EUR')).toBe('no change');
    expect(monthlyDelta(null, 'EUR')).toBe('cost change unknown');
    expect(monthlyDelta(3, null)).toBe('cost change unknown');
  });
});

describe('plans', () => {
  it('describe their size', () => {
    expect(gb(4)).toBe('4 GB');
    expect(gb(0.5)).toBe('0.5 GB');
    expect(planSize(cx22)).toBe('2 vCPU · 4 GB RAM · 40 GB disk');
    expect(planSize({ ...cx22, architecture: 'arm' })).toBe('2 vCPU · 4 GB RAM · 40 GB disk · Arm');
    expect(planLabel(cx22)).toBe('cx22 — 2 vCPU · 4 GB RAM · 40 GB disk — €3.79 / month');
    expect(planLabel({ ...cx22, monthlyPrice: null })).toBe('cx22 — 2 vCPU · 4 GB RAM · 40 GB disk — price unknown');
  });
  it('leave deprecated plans out of what can be ordered', () => {
    expect(orderablePlans([cx22, { ...cx22, name: 'cx11', deprecated: true }]).map((p) => p.name)).toEqual(['cx22']);
  });
  it('are offered in their regions, or anywhere when they list none', () => {
    expect(offeredIn(cx22, 'fsn1')).toBe(true);
    expect(offeredIn(cx22, 'ash')).toBe(false);
    expect(offeredIn({ regions: [] }, 'ash')).toBe(true);
    expect(offeredIn(null, 'ash')).toBe(true);
  });
});

describe('clouds', () => {
  it('are listed for people', () => {
    expect(cloudList([])).toBe('no cloud');
    expect(cloudList(['HETZNER'])).toBe('Hetzner');
    expect(cloudList(['HETZNER', 'DIGITALOCEAN'])).toBe('Hetzner and DigitalOcean');
  });
});

describe('provisionErrorField maps server errors to fields', () => {
  it.each([
    ['INVALID_INPUT', 'hetzner is not configured on this installation: set TOYGRES_HETZNER_TOKEN', 'provider'],
    ['INVALID_INPUT', '"cx99" is not a hetzner plan; known plans: cx22, cx32', 'plan'],
    ['INVALID_INPUT', '"xyz1" is not a hetzner region; known regions: fsn1, nbg1', 'region'],
    ['INVALID_INPUT', 'plan cx22 is not offered in ash; it is offered in fsn1, nbg1, hel1', 'region'],
    ['INVALID_INPUT', 'name "Bad" must be a DNS-1123 label: 1 to 63 lower-case letters', 'name'],
    ['INVALID_INPUT', 'no server template "x"; templates: postgres-host', 'template'],
    ['CONFLICT', 'a server named db-1 already exists in this project', 'name'],
    ['CONFLICT', 'another operation is already queued or running on this target; wait for it to finish', null],
    ['INVALID_INPUT', 'label "toygres"="x" must be at most 63 letters', null],
    ['FORBIDDEN', 'your role may not provision servers in this project', null],
  ] as const)('%s %s -> %s', (code, message, field) => {
    expect(provisionErrorField({ code, message })).toBe(field);
  });
});
