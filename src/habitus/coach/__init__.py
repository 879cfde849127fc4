"""The AI coach (issue 17, D13): from a vague goal to a plan of daily tasks.

`plan_rules` holds the checks every plan must pass, whoever wrote it (a model or the
offline planner); `offline` is the planner that answers when no model is configured or
the model fails; `library` is its curated content, one module per category.
"""
