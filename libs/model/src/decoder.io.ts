/**
 * The I/O contract of a decoder graph this lib can run. A real exported model is mounted by
 * exposing the same names (Hugging Face Optimum's decoder-with-past names, plus per-layer
 * hidden states):
 *
 * inputs  input_ids                     int64   [batch, seq]
 *         attention_mask                int64   [batch, past + seq]   1 = real token, 0 = left padding
 *         position_ids                  int64   [batch, seq]
 *         past_key_values.{l}.key|value float32 [batch, heads, past, headDim]   (past = 0 for prefill)
 * outputs logits                        float32 [batch, seq, vocab]
 *         present.{l}.key|value         float32 [batch, heads, past + seq, headDim]
 *         hidden_states.{l}             float32 [batch, seq, hidden]   residual stream after block l
 */
export const INPUT_IDS = 'input_ids';
export const ATTENTION_MASK = 'attention_mask';
export const POSITION_IDS = 'position_ids';
export const LOGITS = 'logits';

export const pastKey = (layer: number): string => `past_key_values.${layer}.key`;
export const pastValue = (layer: number): string => `past_key_values.${layer}.value`;
export const presentKey = (layer: number): string => `present.${layer}.key`;
export const presentValue = (layer: number): string => `present.${layer}.value`;
export const hiddenState = (layer: number): string => `hidden_states.${layer}`;
