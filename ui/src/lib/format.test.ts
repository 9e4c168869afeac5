import { describe, expect, it } from 'vitest';
import { hasPassword, maskPassword } from './format';

describe('connection strings', () => {
  it('mask only the password', () => {
    expect(maskPassword('postgresql://app:s3cr3t@127.0.0.1:5432/app')).toBe('postgresql://app:••••••••@127.0.0.1:5432/app');
    expect(hasPassword('postgresql://app:s3cr3t@h:1/app')).toBe(true);
  });
  it('leave strings without a password alone', () => {
    expect(maskPassword('postgresql://app@127.0.0.1:5432/app')).toBe('postgresql://app@127.0.0.1:5432/app');
    expect(hasPassword('postgresql://app@127.0.0.1:5432/app')).toBe(false);
  });
});
