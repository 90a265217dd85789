import { describe, expect, it } from "vitest";
import { fileTransferProgram } from "./file-transfer";

describe("fileTransferProgram", () => {
  it("knows the server ends of scp, rsync and git, as their clients send them", () => {
    expect(fileTransferProgram("scp -f /var/log/app.log")).toBe("scp");
    expect(fileTransferProgram("scp -v -r -p -t -- '/tmp/a dir'")).toBe("scp");
    expect(fileTransferProgram("rsync --server --sender -vlogDtpre.iLsfxCIvu . /srv/data/")).toBe("rsync");
    expect(fileTransferProgram("rsync --server -vlogDtpre.iLsfxCIvu . /tmp/dst")).toBe("rsync");
    expect(fileTransferProgram("rsync --server --sender -vlogDtpre.iLsfxCIvu . /srv/card\\ file.bin")).toBe("rsync");
    expect(fileTransferProgram("git-upload-pack '/srv/repo.git'")).toBe("git");
    expect(fileTransferProgram("git-receive-pack 'repo.git'")).toBe("git");
  });

  it("is null for anything that would also run something else, or is not a server end", () => {
    for (const c of [
      "scp -f /nonexistent 2>/dev/null; cat /srv/customers.csv",
      "scp -f /x </dev/null >/dev/null 2>&1 || cat /srv/customers.csv",
      "scp -f /x && cat customers.csv",
      "scp -f /x | cat",
      "scp -f $(cat list)",
      "scp -f `cat list`",
      "scp -f $HOME/x",
      "scp -f /x\ncat customers.csv",
      "scp -f /x\\\ncat customers.csv",
      "scp -f /x & cat customers.csv",
      "scp -f /srv/*.csv",
      "scp -f /x # comment",
      "scp -S ./run.sh host:x y",
      "cat customers.csv; rsync --server . /x",
      "rsync --version",
      "rsync -av /a /b",
      "rsync --server . /x; cat customers.csv",
      "git-upload-pack repo.git other",
      "sudo scp -f /x",
      "cat customers.csv",
      "",
    ])
      expect(fileTransferProgram(c), c).toBeNull();
  });
});
