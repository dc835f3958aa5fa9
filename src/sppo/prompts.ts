// Prompt sets: JSONL (one object per line with a prompt field or chat messages), a JSON array
// (of strings or of such objects), or plain text (one prompt per line). Field names are
// configurable; a bad line is reported with its number and the fix.

export interface Message { role: string; content: string }
export interface PromptItem {
  /** stable index in the file (after filtering) */
  index: number;
  /** the prompt as text (for judges and reports): the text, or the last user message */
  text: string;
  /** multi-turn chat input, when given */
  messages?: Message[];
}

export function parsePrompts(content: string, file: string, o: { promptField?: string; messagesField?: string } = {}): PromptItem[] {
  const pf = o.promptField ?? 'prompt', mf = o.messagesField ?? 'messages';
  const trimmed = content.trimStart();
  const fromObject = (obj: unknown, where: string): Omit<PromptItem, 'index'> => {
    if (typeof obj === 'string') return { text: obj };
    if (!obj || typeof obj !== 'object') throw new Error(`${where}: expected a string or an object with "${pf}" or "${mf}"`);
    const r = obj as Record<string, unknown>;
    if (Array.isArray(r[mf])) {
      const msgs = (r[mf] as unknown[]).map((m, i) => {
        const mm = m as Record<string, unknown>;
        if (!mm || typeof mm.role !== 'string' || typeof mm.content !== 'string') throw new Error(`${where}: ${mf}[${i}] needs string "role" and "content"`);
        return { role: mm.role, content: mm.content };
      });
      if (!msgs.length) throw new Error(`${where}: "${mf}" is empty`);
      const lastUser = [...msgs].reverse().find((m) => m.role === 'user');
      return { text: lastUser?.content ?? msgs[msgs.length - 1].content, messages: msgs };
    }
    if (typeof r[pf] === 'string') return { text: r[pf] as string };
    throw new Error(`${where}: no string field "${pf}" and no "${mf}" array (set promptField / messagesField to the names your file uses)`);
  };
  let items: Omit<PromptItem, 'index'>[];
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try { arr = JSON.parse(content); } catch (e) { throw new Error(`${file}: not valid JSON (${(e as Error).message})`); }
    if (!Array.isArray(arr)) throw new Error(`${file}: expected a JSON array of prompts`);
    items = arr.map((x, i) => fromObject(x, `${file}: item ${i}`));
  } else if (trimmed.startsWith('{')) {
    items = [];
    content.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let obj: unknown;
      try { obj = JSON.parse(line); } catch (e) {
        throw new Error(`${file}: line ${i + 1} is not valid JSON (${(e as Error).message}): fix or delete that line`);
      }
      items.push(fromObject(obj, `${file}: line ${i + 1}`));
    });
  } else {
    items = content.split(/\r?\n/).filter((l) => l.trim()).map((text) => ({ text }));
  }
  if (!items.length) throw new Error(`${file}: no prompts found`);
  return items.map((it, index) => ({ ...it, index }));
}

/** Apply the truncation policy to tokenized prompts: null means "drop this prompt". */
export function truncatePrompt(ids: number[], max: number, policy: 'left' | 'right' | 'drop'): number[] | null {
  if (ids.length <= max) return ids;
  if (policy === 'drop') return null;
  // 'left' cuts from the left (keeps the end, where the question usually is)
  return policy === 'left' ? ids.slice(ids.length - max) : ids.slice(0, max);
}
