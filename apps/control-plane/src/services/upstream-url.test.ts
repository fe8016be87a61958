import { describe, expect, it } from "vitest";
import {
  isPrivateAddress,
  parsePrivateUpstreams,
  privateTargetProblem,
  upstreamUrlProblem,
} from "./upstream-url.js";

describe("upstream URLs", () => {
  it("accept ordinary provider URLs", () => {
    for (const url of [
      "https://api.openai.com/v1",
      "https://x.openai.azure.com/openai/deployments/d?api-version=2024-10-21",
      "http://10.0.0.5:8000/v1",
    ]) {
      expect(upstreamUrlProblem(url), url).toBeNull();
    }
  });

  it("refuse other schemes, credentials, control characters, fragments and secrets in the query", () => {
    for (const url of [
      "ftp://x/y",
      "file:///etc/passwd",
      "https://user:pass@api.example.com",
      "https://api.example.com/v1\r\nX-Injected: 1",
      "https://api.example.com/v1\u0000",
      "https://api.example.com/ v1",
      "https://api.example.com/v1#x",
      "https://generativelanguage.googleapis.com/v1beta?key=AIza-secret",
      "https://api.example.com/?access_token=abc",
      "not a url",
    ]) {
      expect(upstreamUrlProblem(url), url).not.toBeNull();
    }
  });

  it("classify loopback, private and link-local addresses", () => {
    for (const ip of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "::1",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "0.0.0.0",
    ])
      expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ["8.8.8.8", "172.32.0.1", "2606:4700::1111", "api.openai.com"])
      expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it("refuse private targets unless allowed, resolving host names", async () => {
    const dns = async (host: string) => (host === "internal.example" ? ["10.0.0.7"] : ["93.184.216.34"]);
    const none = parsePrivateUpstreams("false");
    expect(await privateTargetProblem("http://127.0.0.1:8081/metrics", none, dns)).toMatch(/private/);
    expect(await privateTargetProblem("http://localhost:8081", none, dns)).toMatch(/private/);
    expect(await privateTargetProblem("http://[::1]:8081", none, dns)).toMatch(/private/);
    expect(await privateTargetProblem("http://169.254.169.254/latest", none, dns)).toMatch(/private/);
    expect(await privateTargetProblem("https://internal.example/v1", none, dns)).toMatch(/10\.0\.0\.7/);
    expect(await privateTargetProblem("https://api.example.com/v1", none, dns)).toBeNull();
    expect(
      await privateTargetProblem("http://127.0.0.1:9090", parsePrivateUpstreams("true"), dns),
    ).toBeNull();
    const listed = parsePrivateUpstreams("internal.example, 127.0.0.1");
    expect(await privateTargetProblem("https://internal.example/v1", listed, dns)).toBeNull();
    expect(await privateTargetProblem("http://127.0.0.1:9090", listed, dns)).toBeNull();
    expect(await privateTargetProblem("http://127.0.0.2:9090", listed, dns)).toMatch(/private/);
  });
});
