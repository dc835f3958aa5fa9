// Chat templates: render a conversation to the prompt text a chat model was trained on, from
// tokenizer_config.json's `chat_template` (Jinja, run by @huggingface/jinja), the way
// transformers' `apply_chat_template(..., tokenize=False)` does:
//   - `chat_template` is a string, or a list of named templates [{name, template}]: the one named
//     by `templateName`, else "tool_use" when tools are passed and it exists, else "default";
//   - the template sees `messages`, `add_generation_prompt`, `tools`, `documents`, the special
//     tokens (`bos_token`, `eos_token`, `unk_token`, `pad_token`, `sep_token`, `cls_token`,
//     `mask_token` as strings — AddedToken objects {content} are unwrapped — and
//     `additional_special_tokens`), plus any extra `variables` (e.g. enable_thinking,
//     date_string); unset tokens are left undefined, as in transformers;
//   - globals: raise_exception(msg) (→ ChatTemplateError), range, strftime_now(fmt) (English
//     names, local time of `now`, so output does not depend on the runtime's locale),
//     true/false/none and True/False/None;
//   - `continueFinalMessage` cuts the text right after the last message's content, so the model
//     continues it (incompatible with addGenerationPrompt, as in transformers).
// The rendered text already holds the special tokens the template wants (BOS included where the
// template writes it): encode it WITHOUT adding special tokens again.
//
// Base models have no chat template. Unless `fallback: 'error'` is given, they get
// PLAIN_CHAT_TEMPLATE below:
//   {bos_token}{system}\n\nUser: {user}\n\nAssistant: {assistant}{eos_token}\n\nUser: ...
// i.e. the BOS token (when the config defines one), then turns separated by a blank line, a
// system message as bare text, user and assistant turns prefixed "User: " / "Assistant: ", each
// assistant turn closed by the EOS token (so a model trained on it learns to stop), and with
// addGenerationPrompt a final "Assistant:" (the model's reply starts with a space). The rendering
// with addGenerationPrompt is always a prefix of the rendering with the reply appended, so a
// prompt/response split by string prefix is exact. Roles other than system/user/assistant are an
// error.
import { Environment, Interpreter, Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  /** usually a string; multimodal templates take a list of {type, text, ...} parts */
  content?: unknown;
  [key: string]: unknown;
}

/** A special token as tokenizer_config.json writes it: a string, or an AddedToken object. */
export type SpecialTokenValue = string | { content: string; [key: string]: unknown } | null | undefined;

export interface NamedChatTemplate { name: string; template: string }

/** The part of tokenizer_config.json that chat rendering reads. */
export interface ChatTokenizerConfig {
  chat_template?: string | NamedChatTemplate[] | null;
  bos_token?: SpecialTokenValue;
  eos_token?: SpecialTokenValue;
  unk_token?: SpecialTokenValue;
  pad_token?: SpecialTokenValue;
  sep_token?: SpecialTokenValue;
  cls_token?: SpecialTokenValue;
  mask_token?: SpecialTokenValue;
  additional_special_tokens?: SpecialTokenValue[];
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  /** pick a named template from the list form */
  templateName?: string;
  /** use this template text instead of the config's (e.g. a chat_template.jinja file) */
  template?: string;
  /** what to do when there is no template: 'plain' (default, PLAIN_CHAT_TEMPLATE) or 'error' */
  fallback?: 'plain' | 'error';
}

export interface ChatRenderOptions {
  /** end with the header that opens an assistant turn */
  addGenerationPrompt?: boolean;
  /** leave the last message open so the model continues it */
  continueFinalMessage?: boolean;
  tools?: unknown[];
  documents?: unknown[];
  /** extra template variables (enable_thinking, date_string, ...) */
  variables?: Record<string, unknown>;
  /** the time strftime_now formats (default: now) */
  now?: Date;
}

export class ChatTemplateError extends Error {
  constructor(message: string) { super(message); this.name = 'ChatTemplateError'; }
}

export const PLAIN_CHAT_TEMPLATE =
  "{% if bos_token is defined and bos_token %}{{ bos_token }}{% endif %}" +
  "{% for message in messages %}" +
  "{% if not loop.first %}{{ '\\n\\n' }}{% endif %}" +
  "{% if message['role'] == 'system' %}{{ message['content'] }}" +
  "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] }}" +
  "{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] }}{% if eos_token is defined and eos_token %}{{ eos_token }}{% endif %}" +
  "{% else %}{{ raise_exception('the plain chat template knows the roles system, user and assistant, not ' + message['role'] + '; give the model a chat_template for other roles') }}" +
  "{% endif %}" +
  "{% endfor %}" +
  "{% if add_generation_prompt %}{% if messages | length > 0 %}{{ '\\n\\n' }}{% endif %}{{ 'Assistant:' }}{% endif %}";

const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'] as const;

function tokenText(v: SpecialTokenValue, key: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof v.content === 'string') return v.content;
  throw new ChatTemplateError(`tokenizer_config.json: ${key} must be a string or an AddedToken object with a string "content", got ${JSON.stringify(v)}`);
}

/** The names of the templates a config holds ([] for none, ["default"] for the plain-string form). */
export function chatTemplateNames(config: ChatTokenizerConfig): string[] {
  const t = config.chat_template;
  if (typeof t === 'string') return ['default'];
  if (Array.isArray(t)) return t.map((x) => x.name);
  return [];
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Python's strftime for the common directives, English names, local time. */
export function strftime(d: Date, format: string): string {
  return format.replace(/%([a-zA-Z%])/g, (all, c: string) => {
    switch (c) {
      case 'Y': return String(d.getFullYear());
      case 'y': return pad(d.getFullYear() % 100);
      case 'm': return pad(d.getMonth() + 1);
      case 'd': return pad(d.getDate());
      case 'e': return String(d.getDate()).padStart(2, ' ');
      case 'H': return pad(d.getHours());
      case 'I': return pad(((d.getHours() + 11) % 12) + 1);
      case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
      case 'M': return pad(d.getMinutes());
      case 'S': return pad(d.getSeconds());
      case 'b': return MONTHS[d.getMonth()].slice(0, 3);
      case 'B': return MONTHS[d.getMonth()];
      case 'a': return DAYS[d.getDay()].slice(0, 3);
      case 'A': return DAYS[d.getDay()];
      case 'j': {
        const start = new Date(d.getFullYear(), 0, 1);
        return pad(Math.round((new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86400000) + 1, 3);
      }
      case '%': return '%';
      default: return all;
    }
  });
}

/** range() items one render may make: a template from a model repository must not exhaust memory or time */
export const MAX_RANGE_ITEMS = 1_000_000;

/** Python's range(); `budget.left` items at most over one render. */
function pyRange(budget: { left: number; name: string }, start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) { stop = start; start = 0; }
  if (step === 0) throw new ChatTemplateError(`chat template "${budget.name}" called range() with step 0: the step must not be zero`);
  const count = Math.max(0, Math.ceil((Number(stop) - Number(start)) / Number(step)));
  if (count > budget.left || !(count >= 0)) {
    throw new ChatTemplateError(`chat template "${budget.name}" asked for range(${start}, ${stop}, ${step}): more than ${MAX_RANGE_ITEMS} range items in one render — the template is damaged or hostile`);
  }
  budget.left -= count;
  const out: number[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}

/** for-loop iterations one render may run (each costs ~20 µs in the interpreter: ~2 s at most) */
export const MAX_LOOP_ITEMS = 100_000;

// the interpreter's evaluate/evaluateFor, which its .d.ts marks private (they are plain methods)
interface InterpreterInternals {
  run(program: unknown): { value: unknown };
  evaluate(statement: unknown, env: Environment): unknown;
  evaluateFor(node: { iterable: unknown }, env: Environment): unknown;
}
const InterpreterBase = Interpreter as unknown as new (env: Environment) => InterpreterInternals;

/**
 * The Jinja interpreter with a budget on for-loop iterations, so a hostile template (loops over
 * huge ranges or built-up lists, nested loops) stops with one ChatTemplateError instead of
 * running for hours. The loop's iterable is charged when evaluateFor evaluates it.
 */
class BudgetedInterpreter extends InterpreterBase {
  private left = MAX_LOOP_ITEMS;
  private pending: unknown = null;
  constructor(env: Environment, private readonly templateName: string) { super(env); }
  override evaluateFor(node: { iterable: unknown }, env: Environment): unknown {
    const it = node.iterable as { type?: string; lhs?: unknown };
    this.pending = it?.type === 'SelectExpression' ? it.lhs : it;
    return super.evaluateFor(node, env);
  }
  override evaluate(statement: unknown, env: Environment): unknown {
    const v = super.evaluate(statement, env);
    if (statement !== undefined && statement === this.pending) {
      this.pending = null;
      const value = (v as { value?: unknown } | undefined)?.value;
      const n = Array.isArray(value) ? value.length : value instanceof Map ? value.size : value && typeof value === 'object' ? Object.keys(value).length : 0;
      this.left -= n;
      if (this.left < 0) throw new ChatTemplateError(`chat template "${this.templateName}" runs more than ${MAX_LOOP_ITEMS} for-loop iterations in one render — the template is damaged or hostile`);
    }
    return v;
  }
}

export class ChatTemplate {
  private readonly config: ChatTokenizerConfig;
  private readonly opts: ChatTemplateOptions;
  private readonly compiled = new Map<string, Template>();
  private readonly tokens: Record<string, unknown>;

  constructor(config: ChatTokenizerConfig = {}, opts: ChatTemplateOptions = {}) {
    if (config === null || typeof config !== 'object') throw new ChatTemplateError('ChatTemplate: pass the parsed tokenizer_config.json object');
    this.config = config;
    this.opts = opts;
    const t = config.chat_template;
    if (t !== undefined && t !== null && typeof t !== 'string' && !Array.isArray(t)) {
      throw new ChatTemplateError(`tokenizer_config.json: chat_template must be a string or a list of {name, template}, got ${typeof t}`);
    }
    if (Array.isArray(t)) {
      for (const [i, x] of t.entries()) {
        if (!x || typeof x.name !== 'string' || typeof x.template !== 'string') {
          throw new ChatTemplateError(`tokenizer_config.json: chat_template[${i}] must be {"name": string, "template": string}`);
        }
      }
      if (opts.templateName !== undefined && !t.some((x) => x.name === opts.templateName)) {
        throw new ChatTemplateError(`chat template "${opts.templateName}" is not in tokenizer_config.json; it has: ${t.map((x) => x.name).sort().join(', ')}`);
      }
    } else if (opts.templateName !== undefined && opts.templateName !== 'default' && opts.template === undefined) {
      throw new ChatTemplateError(`chat template "${opts.templateName}" asked for, but tokenizer_config.json has ${typeof t === 'string' ? 'a single template' : 'no chat_template'}`);
    }
    if (!this.hasTemplate && opts.fallback === 'error') {
      throw new ChatTemplateError('tokenizer_config.json has no chat_template (a base model?): pass a template, or leave fallback unset to use the plain template');
    }
    const tokens: Record<string, unknown> = {};
    for (const k of SPECIAL_TOKEN_KEYS) {
      const v = tokenText(config[k] as SpecialTokenValue, k);
      if (v !== undefined) tokens[k] = v;
    }
    if (Array.isArray(config.additional_special_tokens)) {
      tokens.additional_special_tokens = config.additional_special_tokens.map((v, i) => tokenText(v, `additional_special_tokens[${i}]`) ?? null);
    }
    this.tokens = tokens;
  }

  /** true when the config (or options) provide a template; false when the plain fallback is used */
  get hasTemplate(): boolean {
    return this.opts.template !== undefined || typeof this.config.chat_template === 'string' ||
      (Array.isArray(this.config.chat_template) && this.config.chat_template.length > 0);
  }

  /** The template text and name used for a render with (or without) tools. */
  select(withTools = false): { name: string; source: string } {
    if (this.opts.template !== undefined) return { name: this.opts.templateName ?? 'custom', source: this.opts.template };
    const t = this.config.chat_template;
    if (typeof t === 'string') return { name: 'default', source: t };
    if (Array.isArray(t) && t.length > 0) {
      const byName = new Map(t.map((x) => [x.name, x.template]));
      const name = this.opts.templateName ?? (withTools && byName.has('tool_use') ? 'tool_use' : 'default');
      const source = byName.get(name);
      if (source === undefined) {
        throw new ChatTemplateError(`tokenizer_config.json has several chat templates and none named "default": pass templateName, one of ${[...byName.keys()].sort().join(', ')}`);
      }
      return { name, source };
    }
    return { name: 'plain', source: PLAIN_CHAT_TEMPLATE };
  }

  private compile(name: string, source: string): Template {
    const key = name + '\u0000' + source;
    let t = this.compiled.get(key);
    if (!t) {
      try { t = new Template(source); } catch (e) {
        throw new ChatTemplateError(`chat template "${name}" does not parse: ${(e as Error).message}`);
      }
      this.compiled.set(key, t);
    }
    return t;
  }

  /** Render a conversation to text. */
  render(messages: readonly ChatMessage[], opts: ChatRenderOptions = {}): string {
    if (!Array.isArray(messages)) throw new ChatTemplateError('chat: messages must be an array of {role, content}');
    for (const [i, m] of messages.entries()) {
      if (!m || typeof m !== 'object' || typeof m.role !== 'string') throw new ChatTemplateError(`chat: messages[${i}] must be an object with a string "role" (got ${JSON.stringify(m)})`);
    }
    if (opts.continueFinalMessage && opts.addGenerationPrompt) {
      throw new ChatTemplateError('chat: continueFinalMessage and addGenerationPrompt are not compatible: use continueFinalMessage to let the model continue the last message, addGenerationPrompt to open a new assistant turn');
    }
    if (opts.continueFinalMessage && messages.length === 0) throw new ChatTemplateError('chat: continueFinalMessage needs at least one message');
    const tools = opts.tools && opts.tools.length > 0 ? opts.tools : undefined;
    const { name, source } = this.select(tools !== undefined);
    const template = this.compile(name, source);
    const now = opts.now ?? new Date();

    const env = new Environment();
    const rangeBudget = { left: MAX_RANGE_ITEMS, name };
    const globals: Record<string, unknown> = {
      true: true, false: false, none: null, True: true, False: false, None: null,
      range: (...a: [number, number?, number?]) => pyRange(rangeBudget, ...a),
      raise_exception: (msg: unknown) => { throw new ChatTemplateError(`chat template "${name}" refused the conversation: ${String(msg)}`); },
      strftime_now: (fmt: unknown) => strftime(now, String(fmt)),
    };
    const items: Record<string, unknown> = {
      ...this.tokens,
      ...opts.variables,
      messages,
      tools,
      documents: opts.documents && opts.documents.length > 0 ? opts.documents : undefined,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
    };
    for (const [k, v] of Object.entries({ ...globals, ...items })) {
      if (v !== undefined) env.set(k, v);
    }
    let text: string;
    try {
      text = new BudgetedInterpreter(env, name).run(template.parsed).value as string;
    } catch (e) {
      if (e instanceof ChatTemplateError) throw e;
      throw new ChatTemplateError(`chat template "${name}" failed: ${(e as Error).message}`);
    }
    return opts.continueFinalMessage ? cutAfterFinalMessage(text, messages[messages.length - 1]) : text;
  }
}

/** transformers' continue_final_message: keep the text up to the end of the last message's content. */
function cutAfterFinalMessage(text: string, last: ChatMessage): string {
  let final = last.content;
  if (Array.isArray(final)) {
    const part = [...final].reverse().find((p) => p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string');
    if (!part) throw new ChatTemplateError('chat: continueFinalMessage is set but the final message has no text part to continue');
    final = (part as { text: string }).text;
  }
  if (typeof final !== 'string') throw new ChatTemplateError('chat: continueFinalMessage needs the final message content to be a string');
  const stripped = final.trim();
  const at = text.lastIndexOf(stripped);
  if (stripped.length === 0 || at < 0) {
    throw new ChatTemplateError('chat: continueFinalMessage is set but the final message does not appear in the rendered chat; the template changes it, so it cannot be continued');
  }
  const lstripped = final.replace(/^\s+/, '');
  return text.slice(at, at + lstripped.length) === lstripped ? text.slice(0, at + lstripped.length) : text.slice(0, at + stripped.length);
}

/** One-shot form: render `messages` with the config's chat template (or the plain fallback). */
export function applyChatTemplate(config: ChatTokenizerConfig, messages: readonly ChatMessage[],
  opts: ChatRenderOptions & ChatTemplateOptions = {}): string {
  return new ChatTemplate(config, opts).render(messages, opts);
}
