import { captureSchema } from "@tokenmeter/capture";

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

/**
 * The records of `lines[from, to)`, still serialised (they go into a batch payload as they are). With `validate`
 * (lines another process wrote) each must parse as a capture; one that does not is counted, never thrown.
 */
export function recordsIn(
  lines: readonly string[],
  from: number,
  to: number,
  validate: boolean,
): { records: string[]; corrupt: number } {
  const end = Math.min(to, lines.length);
  if (!validate) return { records: lines.slice(from, end).filter(Boolean), corrupt: 0 };
  const records: string[] = [];
  let corrupt = 0;
  for (let i = from; i < end; i++) {
    const line = lines[i] ?? "";
    try {
      if (line && captureSchema.safeParse(JSON.parse(line)).success) {
        records.push(line);
        continue;
      }
    } catch {
      // counted below
    }
    corrupt += 1;
  }
  return { records, corrupt };
}
