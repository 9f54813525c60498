import assert from "node:assert/strict";
import {test} from "node:test";
import {emptyAnswerNote} from "../../src/cli/summaryOutput";

test("an answer the model ended before writing anything is said on stderr, with why; a real or stopped answer is not", () => {
  assert.match(emptyAnswerNote({answer: "", stoppedBy: "stop"}) ?? "", /no answer: .* on a stop sequence/);
  assert.match(emptyAnswerNote({answer: " \n", stoppedBy: "eos"}) ?? "", /end-of-text token/);
  assert.equal(emptyAnswerNote({answer: "41", stoppedBy: "eos"}), undefined);
  assert.equal(emptyAnswerNote({answer: "", stoppedBy: "cancelled"}), undefined, "Ctrl-C says (stopped) already");
});
