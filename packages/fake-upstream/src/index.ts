export { type FakeUpstream, type ReceivedRequest, startFakeUpstream } from "./fake-upstream.js";
export {
  anthropicJson,
  anthropicSse,
  type FakeUsage,
  geminiJson,
  geminiSse,
  openaiChatJson,
  openaiChatSse,
} from "./wire-formats.js";
