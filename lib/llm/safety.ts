import 'server-only';
import type OpenAI from 'openai';
import type { Env } from '@/lib/env';
import { toUpstreamError } from '@/lib/llm/upstream-errors';
import { ignoreCall, type SafetyCheck, type SafetyVerdict } from '@/lib/llm/types';

/**
 * The local safety rules, used when the model server is not OpenAI's own (or SAFETY_CHECK=rules).
 * A prompt matching any pattern gets the refusal. As in the seed article's demo, the word "unsafe" is always
 * flagged so the refusal path can be shown.
 */
export type SafetyRule = {
  pattern: RegExp;
  reason: string;
  /** The demo trigger: applied on every backend, moderation included, so the refusal path can always be shown. */
  demo?: true;
};

export const SAFETY_RULES: ReadonlyArray<SafetyRule> = [
  { pattern: /\bunsafe\b/i, reason: 'demo trigger: the word "unsafe"', demo: true },
  {
    pattern: /\b(make|build|assemble|synthesi[sz]e)\b.{0,40}\b(bomb|explosive|nerve agent|bioweapon|chemical weapon)s?\b/i,
    reason: 'weapons capable of mass harm',
  },
  { pattern: /\b(kill|murder|poison)\b.{0,20}\b(someone|somebody|a person|my (wife|husband|boss|neighbou?r))\b/i, reason: 'violence against a person' },
  { pattern: /\b(how (do|can) i|ways to)\b.{0,20}\b(kill myself|end my life|self[- ]harm)\b/i, reason: 'self-harm' },
  { pattern: /\b(child sexual|csam)\b/i, reason: 'sexual content involving minors' },
];

export function checkWithRules(prompt: string, rules: ReadonlyArray<SafetyRule> = SAFETY_RULES): SafetyVerdict {
  const hit = rules.find((rule) => rule.pattern.test(prompt));
  return hit ? { safe: false, reason: hit.reason } : { safe: true };
}

const DEMO_RULES = SAFETY_RULES.filter((rule) => rule.demo);

export function isOpenAIsOwnServer(baseUrl: string | undefined): boolean {
  if (!baseUrl) return true;
  try {
    return new URL(baseUrl).hostname === 'api.openai.com';
  } catch {
    return false;
  }
}

export function createSafetyCheck(env: Env, client: OpenAI | null): SafetyCheck {
  const kind = env.SAFETY_CHECK ?? (client && isOpenAIsOwnServer(env.OPENAI_BASE_URL) ? 'moderation' : 'rules');
  if (kind === 'off') return { kind, check: async () => ({ safe: true }) };
  if (kind === 'rules' || !client) return { kind: 'rules', check: async (prompt) => checkWithRules(prompt) };
  return {
    kind: 'moderation',
    async check(prompt, signal, observe = ignoreCall) {
      const demo = checkWithRules(prompt, DEMO_RULES);
      if (!demo.safe) return demo;
      try {
        const request = { model: 'omni-moderation-latest', input: prompt };
        observe({ type: 'request', request });
        const result = await client.moderations.create(request, { signal });
        const flagged = result.results.some((r) => r.flagged);
        return flagged ? { safe: false, reason: 'flagged by the moderation endpoint' } : { safe: true };
      } catch (error) {
        throw toUpstreamError(error, signal);
      }
    },
  };
}
