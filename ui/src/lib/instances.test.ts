import { describe, expect, it } from 'vitest';
import { cpus, defaultPlan, instancePlanSize, mib } from './instances';

describe('instance plans', () => {
  it('write CPUs and memory without trailing zeros', () => {
    expect([250, 500, 1000, 1500, 4000].map(cpus)).toEqual(['0.25', '0.5', '1', '1.5', '4']);
    expect([512, 1024, 1536, 4096].map(mib)).toEqual(['512 MiB', '1 GiB', '1.5 GiB', '4 GiB']);
    expect(instancePlanSize({ cpuRequestMillis: 250, cpuLimitMillis: 1000, memoryMib: 512 })).toBe('0.25 to 1 CPU · 512 MiB');
    expect(instancePlanSize({ cpuRequestMillis: 1000, cpuLimitMillis: 1000, memoryMib: 2048 })).toBe('1 CPU · 2 GiB');
  });
  it("choose the server's default plan, or else the first", () => {
    expect(defaultPlan([{ name: 'large' }, { name: 'small' }])).toBe('small');
    expect(defaultPlan([{ name: 'large' }])).toBe('large');
    expect(defaultPlan([])).toBe('');
  });
});
