import { type Capture, captureSchema } from "@tokenmeter/capture";

/** The lines of one segment as read back: complete records, and whether the last one was cut short. */
export interface SegmentLines {
  lines: string[];
  /** The file ended in the middle of a record that does not parse (the writer died mid-write). */
  tornTail: boolean;
}

/** Splits a segment's text into records. A last line without its newline is kept only if it parses. */
export function splitSegment(text: string): SegmentLines {
  const lines = text.split("\n");
  const last = lines.pop() ?? "";
  let tornTail = false;
  if (last !== "") {
    try {
      JSON.parse(last);
      lines.push(last);
    } catch {
      tornTail = true;
    }
  }
  return { lines, tornTail };
}

/** Captures of `lines[from, to)`; a line that is not a valid capture is counted, never thrown. */
export function parseRecords(
  lines: readonly string[],
  from: number,
  to: number,
  validate: boolean,
): { captures: Capture[]; corrupt: number } {
  const captures: Capture[] = [];
  let corrupt = 0;
  for (let i = from; i < Math.min(to, lines.length); i++) {
    const line = lines[i];
    if (!line) {
      corrupt += 1;
      continue;
    }
    try {
      const value = JSON.parse(line) as unknown;
      if (!validate) {
        captures.push(value as Capture);
        continue;
      }
      const parsed = captureSchema.safeParse(value);
      if (parsed.success) captures.push(parsed.data);
      else corrupt += 1;
    } catch {
      corrupt += 1;
    }
  }
  return { captures, corrupt };
}
