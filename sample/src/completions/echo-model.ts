import { setTimeout as sleep } from 'node:timers/promises';

/** One piece of the answer, as a language model API would stream it. */
export interface Token {
  readonly index: number;
  readonly text: string;
}

export const ECHO_MODEL = 'echo';
const TOKEN_INTERVAL_MS = 40;

/**
 * The sample has no language model: this one answers by quoting the prompt back, one word (with
 * its spacing) per token at a steady pace, which is all the page needs to show a token stream.
 * It stops as soon as `signal` aborts, the way a real upstream call should be cancelled when the
 * reader has gone.
 */
export async function* echoTokens(prompt: string, signal: AbortSignal): AsyncGenerator<Token> {
  const words = `You wrote ${countWords(prompt)} words: "${prompt.trim()}"`.match(/\s*\S+/g) ?? [];
  for (const [index, text] of words.entries()) {
    await sleep(TOKEN_INTERVAL_MS, undefined, { signal });
    yield { index, text };
  }
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
