/**
 * Strings on which the model's tokenizer must give exactly llama.cpp's ids: every kind of text a
 * byte-level BPE with a digit-splitting pre-tokenizer can get wrong. Fragments by kind, then their
 * pairings under different separators, so boundaries between kinds are covered too.
 */
const PROSE = [
  'The quick brown fox jumps over the lazy dog.',
  "It's a truth universally acknowledged, isn't it? We'll see; they'd know, you're right, I'm sure.",
  'Hello, world!',
  'What is the capital of Germany?',
  'In 1969, Neil Armstrong became the first person to walk on the Moon.',
  'She said: "Don\'t go there," and left.',
  'e.g. i.e. etc. Mr. Smith vs. Dr. Jones',
  'UPPERCASE lowercase MiXeD cAsE',
  'state-of-the-art, well-known, re-enter',
  'Multiple   spaces   between   words',
  '  leading spaces and trailing spaces  ',
  'A sentence ending with an ellipsis...',
  'Questions?! Exclamations!!! Interrobang?!?',
  '(parentheses) [brackets] {braces} <angles>',
  'naïve café résumé coöperate façade',
  'Ünïcödé Åccénts',
];
const CODE = [
  'function add(a, b) {\n  return a + b;\n}',
  'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n',
  'const x = { "key": [1, 2, 3], nested: { ok: true } };',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); }',
  'SELECT id, name FROM users WHERE age >= 21 ORDER BY name;',
  '<div class="card"><p>Hi &amp; bye</p></div>',
  'git commit -m "fix: off-by-one" && git push origin main',
  'x+=1;y-=2;z*=3;w/=4;v%=5;u**=6;t//=7',
  '$ echo $HOME | tr a-z A-Z > out.txt 2>&1',
  'fn main() { let v: Vec<u8> = vec![0xff; 16]; }',
  '```python\nprint("hi")\n```',
  '// comment\n/* block */\n# hash\n-- dash',
];
const WHITESPACE = [
  ' ',
  '  ',
  '   ',
  '\t',
  '\t\t',
  '\n',
  '\n\n',
  '\n\n\n',
  '\r\n',
  ' \n ',
  '\t \t',
  '    \n    ',
  '\u00a0',
  '\u3000',
  'a\u2003b',
];
const DIGITS = [
  '0',
  '7',
  '42',
  '123',
  '2024',
  '12345',
  '3.14159',
  '-0.5',
  '1e-9',
  '1,000,000',
  '+1 (555) 012-3456',
  '192.168.0.1',
  '0xDEADBEEF',
  '2026-12-03T16:11:17Z',
  '99%',
  '١٢٣٤',
  '½ ¾ ²',
];
const NON_LATIN = [
  '你好，世界！',
  '日本語のテキストです。',
  '한국어 문장입니다.',
  'مرحبا بالعالم',
  'שלום עולם',
  'Привет, мир!',
  'Γειά σου Κόσμε',
  'नमस्ते दुनिया',
  'สวัสดีชาวโลก',
  'Xin chào thế giới',
  'ქართული ენა',
  'Ελληνικά και English μαζί',
];
const EMOJI = ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🇩🇪', '❤️', '🚀✨', 'emoji in text 🙂 here', '🧑🏿‍💻', '☕️', '🏳️‍🌈'];
const SPECIAL_LOOKALIKES = [
  '<|im_start|>',
  '<|im_end|>',
  '<|endoftext|>',
  '<|im_start|>user\nhi<|im_end|>',
  '<| im_start |>',
  '<|im_start',
  'im_end|>',
  '<repo_name>',
  '<file_sep>',
  '</s>',
  '<s>',
  '[INST]',
  '<<SYS>>',
  '<|',
  '|>',
];

const KINDS = [PROSE, CODE, WHITESPACE, DIGITS, NON_LATIN, EMOJI, SPECIAL_LOOKALIKES];
const SEPARATORS = ['', ' ', '\n', '  ', '\t', ', '];

/** At least `min` distinct strings: every fragment alone, then pairs across kinds (deterministic). */
export function tokenizerTestStrings(min = 500): string[] {
  const out = new Set<string>(KINDS.flat());
  let i = 0;
  while (out.size < min) {
    const a = KINDS[i % KINDS.length] as string[];
    const b = KINDS[(i * 3 + 1) % KINDS.length] as string[];
    const left = a[(i * 7) % a.length] as string;
    const right = b[(i * 11 + 3) % b.length] as string;
    out.add(`${left}${SEPARATORS[i % SEPARATORS.length] as string}${right}`);
    i++;
  }
  return [...out];
}
