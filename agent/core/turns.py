"""The model's turns within one phase (planning, or one attempt at a step): offer the tools,
answer every call, until the model calls the phase's finishing tool or runs out of turns.

Split from the loop so the loop reads as the plan -> step -> verdict flow, and this as the one
place that decides what a model turn may do (out-of-phase calls, unknown tools, bad arguments,
cut-off replies, a finish after a rejected diff, the --max-turns warning and limit).
"""

from __future__ import annotations

from agent.core import prompts
from agent.core.conversation import Conversation, ToolCall
from agent.errors import ModelError, TurnsExhausted
from agent.tools import validate
from agent.tools.dispatch import SPECS, unknown_tool
from agent.tools.specs import offered_tools

NUDGES_ALLOWED = 3  # text-only answers in a row before we give up on the model
TURNS_WARNING = 2  # the model is told to finish when this many turns of --max-turns are left


class Turns:
    def __init__(self, model, conversation: Conversation, toolbox, config, *, tools, extensions=None):
        self.model, self.conv, self.toolbox, self.config = model, conversation, toolbox, config
        self.tools, self.extensions = tools, extensions

    def until(self, finish: str, allowed: frozenset[str], role: str) -> ToolCall:
        """Let the model work with the tools `allowed` in this phase until it calls `finish`.

        Returns that call, still unanswered: the caller decides what the model is told. All tools
        are always offered (a stable prefix keeps the provider's prompt cache warm); calls out of
        phase, unknown tools and bad arguments are answered with an error the model can act on.
        A reply cut off by the provider runs none of its calls (it is told so). TURNS_WARNING turns
        before --max-turns the model is told to finish; at the limit TurnsExhausted is raised."""
        nudges = 0
        limit = self.config.max_turns
        for used in range(1, limit + 1):
            extra = self.extensions.tool_specs() if self.extensions else ()
            turn = self.model.respond(self.conv, offered_tools(extra, self.tools), role)
            self.conv.add_turn(turn)
            if turn.truncated:
                self._cut_off(turn, finish)
            elif not turn.tool_calls:
                nudges += 1
                if nudges > NUDGES_ALLOWED:
                    raise ModelError(f"the model stopped calling tools without calling {finish}")
                self.conv.add_user(prompts.render("nudge.md", finish_tool=finish))
                continue
            else:
                nudges = 0
                done = self._answer(turn, finish, allowed)
                if done is not None:
                    return done
            if limit - used == TURNS_WARNING:
                self.conv.add_user(prompts.render("turns_low.md", left=str(TURNS_WARNING), max_turns=str(limit),
                                                  finish_tool=finish))
        raise TurnsExhausted(f"the model used {limit} turns without calling {finish} (--max-turns {limit})",
                             hint="raise --max-turns, or make the request or the step smaller")

    def _answer(self, turn, finish: str, allowed: frozenset[str]) -> ToolCall | None:
        """Answer every call of a turn but the (first, well-formed) finish call, which is returned."""
        done: ToolCall | None = None
        rejected_diff = False
        for call in turn.tool_calls:
            external = bool(self.extensions and self.extensions.handles(call.name))
            if call.name not in SPECS and not external:
                self.conv.add_tool_output(call.call_id, unknown_tool(call.name, self.toolbox.tool_names()))
            elif call.name == finish:
                _, problem = validate.check(SPECS[finish], call.arguments)
                if done is not None:
                    self.conv.add_tool_output(call.call_id, f"Error: {finish} was already called in this turn.")
                elif problem:
                    self.conv.add_tool_output(call.call_id, f"Error: {problem}. Call {finish} again.")
                else:
                    done = call
            elif call.name not in allowed and not external:
                phase = "planning" if finish == "submit_plan" else "a step"
                self.conv.add_tool_output(call.call_id, f"Error: {call.name} is not available during {phase}; "
                                                        f"call {finish} when this phase is done.")
            else:
                output, ok = self.toolbox.run(call)
                self.conv.add_tool_output(call.call_id, output)
                rejected_diff = rejected_diff or (call.name == "apply_diff" and not ok)
        if done is not None and rejected_diff:
            self.conv.add_tool_output(done.call_id, prompts.render("finish_after_rejected_diff.md", finish_tool=finish))
            return None
        return done

    def _cut_off(self, turn, finish: str) -> None:
        """A truncated reply: none of its calls run (their arguments may be cut); the model is told."""
        for call in turn.tool_calls:
            self.conv.add_tool_output(call.call_id, f"Error: your reply was cut off ({turn.truncated}) before "
                                                    f"this call was complete; it was not run.")
        self.conv.add_user(prompts.render("truncated.md", reason=turn.truncated, finish_tool=finish))
