import type { ReportedStep, ResponseStep } from '@/lib/contract';

/** What the page says while a step runs. */
export const STEP_PROGRESS: Record<ReportedStep, string> = {
  check_safety: 'Checking safety',
  decide_mode: 'Choosing a mode',
  answer_question: 'Answering',
  generate_poem: 'Writing a poem',
  generate_code: 'Writing code',
  prompt_for_more: 'Asking for more detail',
  unsafe_response: 'Declining',
};

export const MODE_BADGE: Record<ResponseStep, string> = {
  answer_question: 'Question',
  generate_poem: 'Poem',
  generate_code: 'Code',
  prompt_for_more: 'Clarify',
  unsafe_response: 'Refused',
};
