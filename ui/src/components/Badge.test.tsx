import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HealthBadge, StateBadge, StatusBadge } from './Badge';

describe('badges', () => {
  it('colour instance states by what they mean', () => {
    const { rerender } = render(<StateBadge state="RUNNING" />);
    expect(screen.getByText('RUNNING')).toHaveClass('badge-ok');
    rerender(<StateBadge state="FAILED" />);
    expect(screen.getByText('FAILED')).toHaveClass('badge-bad');
    rerender(<StateBadge state="CREATING" />);
    const creating = screen.getByText('CREATING');
    expect(creating).toHaveClass('badge-busy');
    expect(creating.querySelector('.spinner-dot')).not.toBeNull();
    expect(creating).toHaveAttribute('title', 'Being made');
  });

  it('show health with an explanation', () => {
    const { rerender } = render(<HealthBadge health="HEALTHY" />);
    expect(screen.getByText('HEALTHY')).toHaveClass('badge-ok');
    rerender(<HealthBadge health="UNHEALTHY" />);
    expect(screen.getByText('UNHEALTHY')).toHaveClass('badge-bad');
    rerender(<HealthBadge health="UNKNOWN" />);
    expect(screen.getByText('UNKNOWN')).toHaveAttribute('title', 'Not checked since it last started');
  });

  it('show operation status', () => {
    render(<StatusBadge status="SUCCEEDED" />);
    expect(screen.getByText('SUCCEEDED')).toHaveClass('badge-ok');
  });
});
