// Chat templates: real templates from tokenizer_config.json files (test/fixtures/chat/) render a
// two-turn conversation to the strings derived by hand from each template's text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatTemplate, ChatTemplateError, PLAIN_CHAT_TEMPLATE, applyChatTemplate, chatTemplateNames, strftime,
  type ChatMessage, type ChatTokenizerConfig } from '../../src/tokenizer/chat.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/chat');
const load = (name: string): ChatTokenizerConfig => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));

const SYSTEM: ChatMessage = { role: 'system', content: 'You are a helpful assistant.' };
const TWO_TURNS: ChatMessage[] = [
  { role: 'user', content: 'Hello!' },
  { role: 'assistant', content: 'Hi there. How can I help?' },
  { role: 'user', content: 'What is 2+2?' },
];
const WITH_SYSTEM = [SYSTEM, ...TWO_TURNS];

function throwsChat(fn: () => unknown, re: RegExp): void {
  try { fn(); } catch (e) {
    assert.instance(e, ChatTemplateError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a ChatTemplateError matching ${re}`);
}

test('Llama-2-chat: system folded into the first [INST], AddedToken bos/eos, alternation enforced', () => {
  const cfg = load('llama-2-chat.json');
  const want = '<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHello! [/INST] Hi there. How can I help? </s><s>[INST] What is 2+2? [/INST]';
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM), want);
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM, { addGenerationPrompt: true }), want, 'the template has no generation prompt');
  assert.is(applyChatTemplate(cfg, TWO_TURNS), '<s>[INST] Hello! [/INST] Hi there. How can I help? </s><s>[INST] What is 2+2? [/INST]');
  throwsChat(() => applyChatTemplate(cfg, [TWO_TURNS[0], TWO_TURNS[0]]), /refused the conversation: Conversation roles must alternate user\/assistant\/user\/assistant\/\.\.\./);
});

test('Mistral-instruct: [INST] turns, no system role', () => {
  const cfg = load('mistral-instruct.json');
  assert.is(applyChatTemplate(cfg, TWO_TURNS, { addGenerationPrompt: true }), '<s>[INST] Hello! [/INST]Hi there. How can I help?</s>[INST] What is 2+2? [/INST]');
  throwsChat(() => applyChatTemplate(cfg, WITH_SYSTEM), /Conversation roles must alternate/);
  throwsChat(() => applyChatTemplate(cfg, [{ role: 'user', content: 'a' }, { role: 'tool', content: 'b' }]), /Only user and assistant roles are supported!/);
});

test('Zephyr: <|role|> lines closed by eos, trim_blocks/lstrip_blocks whitespace', () => {
  const cfg = load('zephyr.json');
  const body = '<|system|>\nYou are a helpful assistant.</s>\n<|user|>\nHello!</s>\n<|assistant|>\nHi there. How can I help?</s>\n<|user|>\nWhat is 2+2?</s>\n';
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM), body);
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM, { addGenerationPrompt: true }), body + '<|assistant|>\n');
});

test('ChatML (OpenHermes): <|im_start|>role ... <|im_end|>', () => {
  const cfg = load('chatml.json');
  const body = '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi there. How can I help?<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n';
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM), body);
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM, { addGenerationPrompt: true }), body + '<|im_start|>assistant\n');
});

test('Qwen3 (ChatML + thinking): generation prompt, enable_thinking=false, continue a final assistant message', () => {
  const cfg = load('qwen3.json');
  const body = '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi there. How can I help?<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n';
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM), body);
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM, { addGenerationPrompt: true }), body + '<|im_start|>assistant\n');
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM, { addGenerationPrompt: true, variables: { enable_thinking: false } }), body + '<|im_start|>assistant\n<think>\n\n</think>\n\n');
  // an assistant turn after the last user query renders a (here empty) think block; continuing it cuts after the content
  const cont = [...WITH_SYSTEM, { role: 'assistant', content: 'The answer is' }];
  assert.is(applyChatTemplate(cfg, cont), body + '<|im_start|>assistant\n<think>\n\n</think>\n\nThe answer is<|im_end|>\n');
  assert.is(applyChatTemplate(cfg, cont, { continueFinalMessage: true }), body + '<|im_start|>assistant\n<think>\n\n</think>\n\nThe answer is');
  // reasoning split out of "</think>" in earlier turns is dropped (it precedes the last query)
  const withThink = [{ role: 'user', content: 'Hello!' }, { role: 'assistant', content: '<think>\nhmm\n</think>\n\nHi there. How can I help?' }, { role: 'user', content: 'What is 2+2?' }];
  assert.is(applyChatTemplate(cfg, withThink), '<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi there. How can I help?<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n');
});

test('Llama 3: header ids, trimmed content, bos on the first turn', () => {
  const cfg = load('llama-3.json');
  const want = '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>' +
    '<|start_header_id|>assistant<|end_header_id|>\n\nHi there. How can I help?<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>' +
    '<|start_header_id|>assistant<|end_header_id|>\n\n'; // this release of the template always opens the reply
  assert.is(applyChatTemplate(cfg, WITH_SYSTEM, { addGenerationPrompt: true }), want);
  assert.is(applyChatTemplate(cfg, [{ role: 'user', content: '  padded \n' }]), '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\npadded<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
});

test('Gemma-2-it: <start_of_turn>user / model turns, trimmed content, bos, no system role, alternation enforced', () => {
  const cfg = load('gemma-2-it.json');
  const body = '<bos><start_of_turn>user\nHello!<end_of_turn>\n<start_of_turn>model\nHi there. How can I help?<end_of_turn>\n<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n';
  assert.is(applyChatTemplate(cfg, TWO_TURNS), body);
  assert.is(applyChatTemplate(cfg, TWO_TURNS, { addGenerationPrompt: true }), body + '<start_of_turn>model\n');
  // `'\n' + message['content'] | trim + ...`: the filter binds to the content alone (Jinja precedence)
  const padded = [{ role: 'user', content: '  Hello!\n' }, { role: 'assistant', content: '\tHi there. How can I help?  ' }, { role: 'user', content: 'What is 2+2?' }];
  assert.is(applyChatTemplate(cfg, padded), body);
  throwsChat(() => applyChatTemplate(cfg, WITH_SYSTEM), /System role not supported/);
  throwsChat(() => applyChatTemplate(cfg, [TWO_TURNS[0], TWO_TURNS[0]]), /Conversation roles must alternate user\/assistant\/user\/assistant\/\.\.\./);
  throwsChat(() => applyChatTemplate(cfg, [TWO_TURNS[1]]), /Conversation roles must alternate/);
});

test('named templates: default, tool_use when tools are passed, templateName, errors listing names', () => {
  const cfg = load('named-templates.json');
  assert.equal(chatTemplateNames(cfg), ['default', 'tool_use', 'rag']);
  const chatml = '<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi there. How can I help?<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n';
  assert.is(applyChatTemplate(cfg, TWO_TURNS), chatml);
  const tools = [{ name: 'calculator' }, { name: 'search' }];
  assert.is(applyChatTemplate(cfg, TWO_TURNS, { tools, addGenerationPrompt: true }), '<|im_start|>system\nTools: calculator search<|im_end|>\n' + chatml + '<|im_start|>assistant\n');
  assert.is(applyChatTemplate(cfg, TWO_TURNS, { templateName: 'rag', documents: [{ title: 'A' }, { title: 'B' }] }), '[A] [B] What is 2+2?');
  throwsChat(() => new ChatTemplate(cfg, { templateName: 'nope' }), /"nope" is not in tokenizer_config.json; it has: default, rag, tool_use/);
  const noDefault = { ...cfg, chat_template: (cfg.chat_template as { name: string; template: string }[]).filter((t) => t.name !== 'default') };
  throwsChat(() => applyChatTemplate(noDefault, TWO_TURNS), /none named "default": pass templateName, one of rag, tool_use/);
  throwsChat(() => new ChatTemplate({ chat_template: [{ name: 'x' }] as never }), /chat_template\[0\] must be/);
});

test('plain template for base models (no chat_template)', () => {
  const cfg = load('base-gpt2.json');
  const t = new ChatTemplate(cfg);
  assert.is(t.hasTemplate, false);
  assert.is(t.select().source, PLAIN_CHAT_TEMPLATE);
  const full = '<|endoftext|>You are a helpful assistant.\n\nUser: Hello!\n\nAssistant: Hi there. How can I help?<|endoftext|>\n\nUser: What is 2+2?';
  assert.is(t.render(WITH_SYSTEM), full);
  assert.is(t.render(WITH_SYSTEM, { addGenerationPrompt: true }), full + '\n\nAssistant:');
  // the prompt is a prefix of prompt + reply: response = " 4<eos>"
  const withReply = t.render([...WITH_SYSTEM, { role: 'assistant', content: '4' }]);
  assert.ok(withReply.startsWith(full + '\n\nAssistant:'));
  assert.is(withReply.slice((full + '\n\nAssistant:').length), ' 4<|endoftext|>');
  assert.is(new ChatTemplate({}).render(TWO_TURNS, { addGenerationPrompt: true }), 'User: Hello!\n\nAssistant: Hi there. How can I help?\n\nUser: What is 2+2?\n\nAssistant:', 'no bos/eos defined');
  assert.is(new ChatTemplate({}).render([], { addGenerationPrompt: true }), 'Assistant:');
  throwsChat(() => t.render([{ role: 'tool', content: 'x' }]), /plain chat template knows the roles system, user and assistant, not tool/);
  throwsChat(() => new ChatTemplate(cfg, { fallback: 'error' }), /no chat_template \(a base model\?\)/);
});

test('options and errors: template override, continueFinalMessage, bad messages, bad templates, strftime_now', () => {
  const cfg = load('chatml.json');
  assert.is(applyChatTemplate(cfg, TWO_TURNS, { template: '{{ messages | length }}{{ eos_token }}' }), '3<|im_end|>');
  throwsChat(() => applyChatTemplate(cfg, TWO_TURNS, { addGenerationPrompt: true, continueFinalMessage: true }), /not compatible/);
  assert.is(applyChatTemplate(cfg, [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Well, ' }], { continueFinalMessage: true }),
    '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nWell, ', 'the template keeps the trailing space, so does the cut');
  assert.is(applyChatTemplate(load('llama-3.json'), [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Well, ' }], { continueFinalMessage: true }),
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nWell,', 'the template trims, so the cut ends at the trimmed text');
  throwsChat(() => applyChatTemplate(cfg, [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'zzz' }], { continueFinalMessage: true, template: '{{ messages[0].content }}' }), /final message does not appear/);
  throwsChat(() => applyChatTemplate(cfg, [{ content: 'x' } as unknown as ChatMessage]), /messages\[0\] must be an object with a string "role"/);
  throwsChat(() => applyChatTemplate(cfg, TWO_TURNS, { template: '{% for x in %}' }), /does not parse/);
  throwsChat(() => applyChatTemplate(cfg, TWO_TURNS, { template: '{{ messages | nosuchfilter }}' }), /chat template "custom" failed/);
  throwsChat(() => new ChatTemplate({ bos_token: 5 as never }), /bos_token must be a string or an AddedToken/);
  const now = new Date(2024, 6, 4, 15, 7, 9); // local time: 4 July 2024, 15:07:09
  assert.is(applyChatTemplate(cfg, [], { template: "{{ strftime_now('%d %b %Y, %A %B %H:%M:%S %I%p %j %y %%') }}", now }), '04 Jul 2024, Thursday July 15:07:09 03PM 186 24 %');
  assert.is(strftime(new Date(2023, 0, 1), '%j %a'), '001 Sun');
  assert.is(applyChatTemplate(cfg, [], { template: '{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}{{ date_string }}', variables: { date_string: 'today' } }), '135today');
});

test.run();
