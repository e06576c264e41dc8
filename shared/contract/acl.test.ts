import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { aclFileLine, aclPassword, aclSetUserLine, coreAclUser, edgeAclUser, sentinelAclUser } from "./acl.ts";

const hash = (p: string) => `#${createHash("sha256").update(p).digest("hex")}`;

describe("Redis ACL users", () => {
  const eu1 = edgeAclUser({ user: "edge-eu1", password: "pw-0123456789abcdef", edge: "eu1", jobmanagers: ["LTC", "sha_multi"], prefix: "x:" });

  test("an edge: its ports' jobs read-only, records append-only, its own status keys, its own id request and grant; nothing else", () => {
    expect(aclFileLine(eu1)).toBe(
      `user edge-eu1 reset on ${hash("pw-0123456789abcdef")} resetchannels -@all +ping +info +client|setname +select +wait ` +
        "(%R~x:jobs:LTC %R~x:job:LTC %R~x:jobs:sha_multi %R~x:job:sha_multi +xread +xrevrange +get) " +
        "(%W~x:shares:eu1 %W~x:shares:eu1/* %W~x:candidates:eu1 %W~x:candidates:eu1/* %W~x:agent:eu1 %W~x:agent:eu1/* +xadd) " +
        "(%R~x:contract +get) " +
        "(~x:edge:eu1 ~x:edge:eu1/* +set +del) " +
        "(~x:edge-bans:eu1 ~x:edge-bans:eu1/* +set +del) " +
        "(~x:edge-clients:eu1 ~x:edge-clients:eu1/* +set +del) " +
        "(%R~x:ban-lifts +xread +xrevrange) " +
        "(%W~x:edge-id-want:eu1 %W~x:edge-id-want:eu1/* +set +del) " +
        "(%R~x:edge-id-of:eu1 %R~x:edge-id-of:eu1/* +get +pttl)",
    );
  });

  test("ACL SETUSER lines quote selectors (they hold spaces); passwords never appear", () => {
    const line = aclSetUserLine(eu1);
    expect(line.startsWith("ACL SETUSER edge-eu1 reset on #")).toBe(true);
    expect(line).toContain(' "(%R~x:contract +get)" ');
    expect(line.includes("pw-0123456789abcdef")).toBe(false);
  });

  test("during a rolling upgrade (`legacy`) an edge may also append to the v1 shared streams and lease ids itself", () => {
    const legacy = edgeAclUser({ user: "edge-eu1", password: "pw-0123456789abcdef", edge: "eu1", jobmanagers: ["LTC"], prefix: "x:", legacy: true });
    expect(aclFileLine(legacy)).toContain("(%W~x:shares %W~x:candidates %W~x:agent +xadd)");
    expect(aclFileLine(legacy)).toContain("(~x:edge-name:eu1 ~x:edge-name:eu1/* +get +set) (~x:edge-id:* +get +set +eval +pexpire +del)");
    expect(aclFileLine(legacy)).toContain("(%W~x:edge-id-want:eu1 %W~x:edge-id-want:eu1/* +set +del)");
    expect(aclFileLine(eu1)).not.toContain("%W~x:shares ");
    expect(aclFileLine(eu1)).not.toContain("edge-id:");
    expect(aclFileLine(eu1)).not.toContain("edge-name:");
  });

  test("the core: every key and channel, every command but the dangerous ones", () => {
    expect(aclFileLine(coreAclUser("core", "c"))).toBe(`user core reset on ${hash("c")} ~* &* +@all -@dangerous +ping +info +client|setname +select`);
    expect(aclPassword(undefined)).toBe("nopass");
  });

  test("a sentinel user: find the master, replicas and sentinels, hear of a switch; nothing else", () => {
    expect(aclFileLine(sentinelAclUser("edge-eu1", "s"))).toBe(
      `user edge-eu1 reset on ${hash("s")} resetchannels &+switch-master -@all +ping +client|setname ` +
        "+sentinel|get-master-addr-by-name +sentinel|sentinels +sentinel|slaves +sentinel|replicas +subscribe",
    );
  });
});
