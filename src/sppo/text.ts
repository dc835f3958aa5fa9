// A policy's text codec from its model directory: tokenizer.json (+ tokenizer_config.json)
// and, with `chat`, its chat template. Prompts get the tokenizer's BOS rule; responses are
// tokenized without special tokens and decoded without them.
import type { ModelConfig } from '../model/config.js';
import { ChatTemplate } from '../tokenizer/chat.js';
import { loadTokenizerSync } from '../tokenizer/node.js';
import { modelTokenizerPath } from '../model/modeldir.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { PolicyText } from './policy.js';
import type { PromptItem } from './prompts.js';

export interface TextCodec extends PolicyText {
  tokenizer: Tokenizer;
  /** response text → ids (no special tokens) */
  encodeResponse(text: string): number[];
}

export function promptIds(tok: Tokenizer, text: string): number[] {
  // "the tokenizer's BOS rule": what addSpecial adds before the text (a trailing EOS that some
  // post-processors append is not part of a prompt)
  const ids = tok.encode(text, { addSpecial: true });
  if (tok.eosTokenId !== null && ids.length && ids[ids.length - 1] === tok.eosTokenId && tok.eosTokenId !== tok.bosTokenId) ids.pop();
  return ids;
}

export function makeTextCodec(tok: Tokenizer, o: { chat: boolean; eos?: number[] }): TextCodec {
  let chat: ChatTemplate | null = null;
  const eos = [...new Set([...(o.eos ?? []), ...(tok.eosTokenId !== null ? [tok.eosTokenId] : [])])];
  return {
    tokenizer: tok,
    eos,
    encodePrompt(item: PromptItem): number[] {
      if (o.chat || item.messages) {
        chat ??= new ChatTemplate(tok.config as any);
        const messages = item.messages ?? [{ role: 'user', content: item.text }];
        // the rendered template carries its own BOS text: tokenize with special-token matching, no extra BOS
        return tok.encode(chat.render(messages as any, { addGenerationPrompt: true }), { special: true });
      }
      return promptIds(tok, item.text);
    },
    encodeResponse: (text: string) => tok.encode(text),
    decode: (ids: number[]) => tok.decode(ids, { skipSpecial: true }),
  };
}

export function loadPolicyText(dir: string, o: { chat: boolean; config?: ModelConfig }): TextCodec {
  const tok = loadTokenizerSync(modelTokenizerPath(dir));
  return makeTextCodec(tok, { chat: o.chat, eos: o.config?.eosTokenIds });
}
