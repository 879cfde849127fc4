"""The fallback for any goal no category recognises ("learn guitar", "be kinder").

Its tasks speak of "your habit" and work for anything: start tiny, make it easy and
obvious, then grow it. A quit goal gets its own questions and tasks (notice, replace,
remove the cue). FILLERS are day-numbered tasks every category can fall back on, so a
plan can never run out of distinct tasks.
"""

from habitus.coach.library.shape import Category, Question, Ramp, steps

BUILD_QUESTIONS = (
    Question("Why does this goal matter to you?", "motivation"),
    Question("What is most likely to get in the way?", "obstacle"),
    Question("When and where will you do it each day?", "when"),
    Question("How often do you do it now, if at all?", "level"),
)
QUIT_QUESTIONS = (
    Question("Why do you want to stop?", "motivation"),
    Question("What usually triggers it?", "obstacle"),
    Question("When and where does it usually happen?", "when"),
    Question("How often does it happen now?", "level"),
)

# "{d}" is the day number, "{noun}" the category's word for the habit ("your sleep plan").
FILLERS = (
    "Day {d}: rate yesterday's {noun} effort from 1 to 10 and write one reason",
    "Day {d}: tell someone one thing your {noun} plan has taught you",
    "Day {d}: repeat the task from this plan you liked most so far",
    "Day {d}: remove one small thing that makes your {noun} plan harder",
    "Day {d}: write one line on what made today easier or harder",
    "Day {d}: picture tomorrow's hardest moment and how you will handle it",
)

CATEGORY = Category(
    id="general",
    keywords=(),
    phrases=(),
    polarity="build",
    questions=BUILD_QUESTIONS,
    quit_questions=QUIT_QUESTIONS,
    build_name="My new habit",
    quit_name="Breaking a habit",
    noun="habit",
    default_when="today",
    tiers=(
        (
            "Write your goal in one sentence and put it where you will see it",
            "Do the smallest possible version of your habit for two minutes {when}",
            "Decide the exact time and place you will practise each day",
            "Prepare everything you need tonight so tomorrow starts easily",
            "Tell one person what you are starting and why",
            "Set a daily reminder with a kind message to yourself",
            "Write down what 'done' looks like for today",
        ),
        (
            "Attach your habit to something you already do every day",
            "Practise for five minutes, then stop while it still feels easy",
            "Remove one thing that makes starting harder",
            "Tick off today on a paper calendar or in this app",
            "Find one video, article or person that can teach you something",
            "Do your habit {when}, even if only briefly",
            "Note one small win from today",
        ),
        (
            "Practise for ten minutes with full attention",
            "Try a slightly harder version than yesterday",
            "Do it on a day or at a time when it is inconvenient",
            "Ask someone to join you or check on you this week",
            "Write down what you have learned so far",
            "Find a way to make it more enjoyable: music, a place, a friend",
            "Plan how you will keep going on a busy day",
        ),
        (
            "Practise for twenty minutes without interruption",
            "Work on the part you find hardest",
            "Set a small target for the end of next week",
            "Do it twice today, morning and evening",
            "Record your progress: a photo, a note, a number",
            "Share what you are doing with someone who would care",
            "Notice what helps you start and do more of it",
        ),
        (
            "Do your longest or most ambitious session so far",
            "Compare today with your first day and note the difference",
            "Teach or show someone what you have learned",
            "Set your goal for the month after this plan",
            "Do it somewhere new, or in front of someone",
            "Write the routine you will keep after this plan",
            "Celebrate your progress with a reward you chose in advance",
        ),
    ),
    ramps=(
        Ramp("Spend {n} minutes on your habit {when}", steps(5, 64, 2)),
        Ramp("Practise for {n} minutes on the part you find hardest", steps(3, 32, 1)),
        Ramp("Repeat your habit's core exercise {n} times", steps(3, 32, 1)),
        Ramp("Write {n} words on how today's practice went", steps(20, 136, 4)),
        Ramp("Keep your habit going for {n} minutes without a break", steps(5, 34, 1)),
    ),
    quit_tiers=(
        (
            "Write down what you want to stop in one sentence",
            "Count how often it happens today, without trying to change it",
            "Note what you were doing just before each time",
            "Pick one thing you could do instead when the urge comes",
            "Tell one person you trust what you are working on",
            "Make it a little harder: move it out of sight or out of reach",
            "Write how you want to feel when this habit is gone",
        ),
        (
            "When the urge comes {when}, wait five minutes before acting",
            "Do your replacement once when the urge comes",
            "Avoid one situation that usually leads to the habit",
            "Remove one reminder or cue of the habit from your space",
            "Write down how you felt after each slip, without judging",
            "Plan tomorrow's riskiest moment and what you will do",
            "Reward yourself for one urge you rode out",
        ),
        (
            "Go a whole morning without the habit",
            "Use your replacement every time the urge comes today",
            "Ask someone to help you in your hardest moment",
            "Change your routine at the time the habit usually happens",
            "Write down what the habit gives you and find another way to get it",
            "Notice the urge, name it, and let it pass",
            "Stay away from the habit {when}",
        ),
        (
            "Go a whole day without the habit",
            "Handle a stressful moment without falling back on it",
            "Get rid of anything left that makes the habit easy",
            "Tell someone about your progress",
            "Plan what you will do if you slip, so one slip stays one",
            "Spend the time or money saved on something you value",
            "Notice one way your days are better without it",
        ),
        (
            "Go two days in a row without the habit",
            "Compare today with your first day and note the difference",
            "Write the rules you will keep after this plan",
            "Help someone else who is trying to stop something",
            "Face a situation that used to trigger it, with your plan ready",
            "Celebrate your progress with a reward you chose in advance",
            "Write a letter to yourself for the next time it tempts you",
        ),
    ),
    quit_ramps=(
        Ramp("Wait {n} minutes before giving in to an urge {when}", steps(3, 62, 2)),
        Ramp("Go {n} hours without the habit, and note the hardest moment", steps(2, 31, 1)),
        Ramp("Do your replacement for {n} minutes when the urge comes", steps(2, 31, 1)),
        Ramp("Write {n} words on how today went without the habit", steps(20, 136, 4)),
        Ramp(
            "Spend {n} minutes on something that makes the habit harder to start", steps(3, 32, 1)
        ),
    ),
)
