import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HealthBadge, ServerStateBadge, SeverityBadge, StateBadge, StatusBadge } from './Badge';

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

describe('fleet badges', () => {
  it('colour server states by what they mean', () => {
    const { rerender } = render(<ServerStateBadge state="ACTIVE" />);
    expect(screen.getByText('ACTIVE')).toHaveClass('badge-ok');
    rerender(<ServerStateBadge state="PROVISIONING" />);
    expect(screen.getByText('PROVISIONING')).toHaveClass('badge-busy');
    expect(screen.getByText('PROVISIONING').querySelector('.spinner-dot')).not.toBeNull();
    rerender(<ServerStateBadge state="DRAINING" />);
    expect(screen.getByText('DRAINING')).toHaveClass('badge-warn');
    rerender(<ServerStateBadge state="REMOVED" />);
    expect(screen.getByText('REMOVED')).toHaveClass('badge-muted');
    rerender(<ServerStateBadge state="FAILED" />);
    expect(screen.getByText('FAILED')).toHaveAttribute('title', 'Provisioning or removal gave up');
  });

  it('colour event severities', () => {
    const { rerender } = render(<SeverityBadge severity="critical" />);
    expect(screen.getByText('critical')).toHaveClass('badge-bad');
    rerender(<SeverityBadge severity="warning" />);
    expect(screen.getByText('warning')).toHaveClass('badge-warn');
    rerender(<SeverityBadge severity="something-new" />);
    expect(screen.getByText('something-new')).toHaveClass('badge-muted');
  });
});
