"""The loop and what it is made of: plan, conversation, seams, prompts, the run driver."""
