import { describe, expect, it } from "vitest";
import { bearerToken } from "./bearer.js";

describe("bearerToken", () => {
  it("reads the token whatever the scheme's case and the spacing around it", () => {
    expect(bearerToken("Bearer tm_abc")).toBe("tm_abc");
    expect(bearerToken("bearer   tm_abc  ")).toBe("tm_abc");
  });

  it("refuses other schemes, a missing token and tokens with spaces", () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken("Basic dTpw")).toBeUndefined();
    expect(bearerToken("Bearer")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
    expect(bearerToken("xBearer tm_abc")).toBeUndefined();
  });
});
