// Which special ids wrap an encoded text when the caller asks for them (addSpecial).
//   tokenizer_config.json add_bos_token / add_eos_token, when present, decide (as transformers'
//   Llama-style tokenizers rebuild their template from them), with bos_token / eos_token;
//   otherwise tokenizer.json's post_processor: TemplateProcessing (its "single" template),
//   BertProcessing / RobertaProcessing (cls ... sep), ByteLevel (nothing), Sequence.
import { Field } from './errors.js';

export interface SpecialWrap {
  prefix: number[];
  suffix: number[];
}

export const POST_PROCESSOR_TYPES = ['TemplateProcessing', 'ByteLevel', 'BertProcessing', 'RobertaProcessing', 'Sequence'] as const;

/** The content of a config token entry: "<s>" or {"content": "<s>", ...}. */
export function configTokenContent(f: Field): string | null {
  const v = f.value;
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && !Array.isArray(v) && typeof v.content === 'string') return v.content;
  return f.fail('expected a token string or {"content": "..."}');
}

function fromPostProcessor(f: Field): SpecialWrap {
  const wrap: SpecialWrap = { prefix: [], suffix: [] };
  if (!f.present) return wrap;
  const type = f.type('post-processor', POST_PROCESSOR_TYPES);
  switch (type) {
    case 'ByteLevel':
      return wrap;
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const pairId = (g: Field) => {
        const id = g.at(1);
        return id.int();
      };
      return { prefix: [pairId(f.get('cls'))], suffix: [pairId(f.get('sep'))] };
    }
    case 'Sequence': {
      for (const p of f.get('processors').items()) {
        const w = fromPostProcessor(p);
        wrap.prefix = [...w.prefix, ...wrap.prefix];
        wrap.suffix = [...wrap.suffix, ...w.suffix];
      }
      return wrap;
    }
    case 'TemplateProcessing': {
      const specials = f.get('special_tokens');
      let seen = false;
      for (const item of f.get('single').items()) {
        const st = item.get('SpecialToken');
        if (st.present) {
          const name = st.get('id').string();
          const entry = specials.get(name);
          if (!entry.present) st.get('id').fail(`"${name}" is not in post_processor.special_tokens — add it there with its ids`);
          const ids = entry.get('ids').items().map((x) => x.int());
          (seen ? wrap.suffix : wrap.prefix).push(...ids);
        } else if (item.get('Sequence').present) {
          seen = true;
        } else {
          item.fail('expected {"SpecialToken": ...} or {"Sequence": ...}');
        }
      }
      return wrap;
    }
  }
  return wrap;
}

/**
 * @param post      tokenizer.json post_processor
 * @param config    tokenizer_config.json (root), possibly absent
 * @param idOf      token content -> id (added tokens, then vocabulary)
 */
export function buildSpecialWrap(post: Field, config: Field, idOf: (content: string) => number | undefined): SpecialWrap {
  const addBos = config.get('add_bos_token'), addEos = config.get('add_eos_token');
  if (!addBos.present && !addEos.present) return fromPostProcessor(post);
  const wrap: SpecialWrap = { prefix: [], suffix: [] };
  for (const [flag, tokenField, list] of [[addBos, 'bos_token', wrap.prefix], [addEos, 'eos_token', wrap.suffix]] as const) {
    if (!flag.bool(false)) continue;
    const tf = config.get(tokenField);
    const content = configTokenContent(tf);
    if (content === null) tf.fail(`missing — ${flag.path} is true, so ${tokenField} must name a token`);
    const id = idOf(content!);
    if (id === undefined) tf.fail(`"${content}" is not a token of tokenizer.json — fix ${tokenField} or set ${flag.path} to false`);
    list.push(id!);
  }
  return wrap;
}
