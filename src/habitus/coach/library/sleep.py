"""Sleep: a regular bedtime, a wind-down routine, a bedroom made for sleeping."""

from habitus.coach.library.shape import Category, Question, Ramp, phrases, steps, words

CATEGORY = Category(
    id="sleep",
    keywords=words("sleep slept asleep bed bedtime insomnia tired nap wake woke snooze rested"),
    phrases=phrases(
        "go to bed, stay up, up late, fall asleep, wake up, get up, sleep schedule,"
        " early riser, night owl, late nights"
    ),
    polarity="build",
    questions=(
        Question("Why does better sleep matter to you right now?", "motivation"),
        Question("What usually keeps you up later than you planned?", "obstacle"),
        Question("What time would you like to be asleep, and when do you wake?", "when"),
        Question("How many hours do you sleep on a typical night now?", "level"),
    ),
    build_name="Sleep on time",
    quit_name="No more late nights",
    noun="sleep",
    default_when="tonight",
    tiers=(
        (
            "Write down the bedtime you want to reach by the end of this plan",
            "Set an alarm 30 minutes before bed that says 'start winding down'",
            "Note what time you actually fell asleep last night",
            "Put a glass of water and a book by your bed",
            "Open the curtains or step outside within an hour of waking",
            "Have your last coffee before 2 pm today",
            "Dim the lights in your home an hour before bed",
        ),
        (
            "Put your phone to charge outside the bedroom {when}",
            "Take a warm shower about an hour before bed",
            "Clear one thing off your bedside table that does not help you sleep",
            "Get up at the same time as yesterday, even if you slept badly",
            "Swap screen time for ten minutes of paper reading before bed",
            "Write tomorrow's to-do list before bed so it leaves your head",
            "Keep the bedroom cool: open a window or lower the heating tonight",
        ),
        (
            "Skip any nap longer than 20 minutes today",
            "Do five minutes of slow stretching in the evening",
            "No heavy meal in the three hours before bed today",
            "If you lie awake for 20 minutes, get up and read in dim light",
            "Block the light in your bedroom: curtains, a mask or tape over LEDs",
            "Tell the people you live with your new bedtime",
            "Finish alcohol at least three hours before bed, or skip it tonight",
        ),
        (
            "Keep the same wake-up time on the weekend as on weekdays",
            "Spend 20 minutes in daylight before noon",
            "Try a breathing pattern in bed: in for 4, hold for 7, out for 8",
            "Write down three good things about today before turning off the light",
            "Make your bed a place only for sleep: no laptop in bed today",
            "Get 30 minutes of movement today, finished before early evening",
            "Turn off every screen in the house 45 minutes before bed",
        ),
        (
            "Plan how you will keep your bedtime through a late event this week",
            "Go a full day without caffeine after noon and note how you sleep",
            "Put your wind-down routine on paper and follow it step by step",
            "Wake without the snooze button: put the alarm across the room",
            "Review your sleep notes: which evening habit helped most?",
            "Keep your bedtime and wake time within 30 minutes of plan all day",
            "Teach someone your wind-down routine; explaining it fixes it in you",
        ),
    ),
    ramps=(
        Ramp("Be in bed with the lights out {n} minutes earlier than last week", steps(5, 64, 2)),
        Ramp("Start your wind-down routine {n} minutes before bed", steps(15, 74, 2)),
        Ramp("Keep screens off for the last {n} minutes before sleep", steps(10, 69, 2)),
        Ramp("Read a paper book in bed for {n} minutes instead of scrolling", steps(5, 34, 1)),
        Ramp("Take a {n}-minute walk in daylight to set your body clock", steps(5, 34, 1)),
    ),
)
