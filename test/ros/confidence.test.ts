import { describe, expect, it } from 'vitest';
import { DIAG } from '../../ros/messages.ts';
import { confidenceStatus } from '../../ros/outputs.ts';

describe('scene confidence on diagnostics', () => {
  it('a low-confidence scene is a WARN status with its level, score and every reason; a high one is OK; none is said', () => {
    const reasons = ['the support plane holds only 12 % of the depth points', '85 % of the depth pixels stand above the support in no object'];
    const low = confidenceStatus({ level: 'low', score: 0, reasons });
    expect(low).toMatchObject({ level: DIAG.WARN, name: 'real2sim: scene confidence', message: `low: ${reasons.join('; ')}` });
    expect(low.values).toEqual([
      { key: 'level', value: 'low' },
      { key: 'score', value: '0' },
      { key: 'reason_0', value: reasons[0] },
      { key: 'reason_1', value: reasons[1] },
    ]);
    expect(confidenceStatus({ level: 'high', score: 0.9, reasons: [] })).toMatchObject({ level: DIAG.OK, message: 'high' });
    expect(confidenceStatus(undefined)).toMatchObject({ level: DIAG.OK, message: 'not assessed for this scene' });
  });
});
