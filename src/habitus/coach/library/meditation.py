"""Meditation: a few quiet minutes a day, breathing, calm and attention."""

from habitus.coach.library.shape import Category, Question, Ramp, phrases, steps, words

CATEGORY = Category(
    id="meditation",
    keywords=words(
        "meditate meditating meditation mindful mindfulness breathe breathing calm anxious"
        " anxiety stress stressed relax relaxed headspace calmer"
    ),
    phrases=phrases("be present, quiet my mind, breathing exercises, less stressed, more calm"),
    polarity="build",
    questions=(
        Question("What do you hope meditation will change for you?", "motivation"),
        Question("What has made it hard to sit still and meditate before?", "obstacle"),
        Question("When and where could you sit quietly for a few minutes?", "when"),
        Question("Have you meditated before, and how often?", "level"),
    ),
    build_name="Meditate daily",
    quit_name="Less stress",
    noun="meditation",
    default_when="in the morning",
    tiers=(
        (
            "Sit quietly and take ten slow breaths {when}",
            "Choose a spot where you will meditate and clear it",
            "Set a gentle reminder for your quiet minute",
            "Notice five things you can see, four you can hear, three you can touch",
            "Breathe in for four counts and out for six, five times",
            "Drink a cup of tea slowly, paying attention only to it",
            "Before you get up this morning, take three deep breaths",
        ),
        (
            "Do a short guided meditation from an app or a video",
            "Count your breaths from one to ten, then start again, for a while",
            "Do a body scan from your toes to your head while lying down",
            "Take a mindful walk: feel each step for five minutes",
            "When you feel rushed today, stop for three slow breaths",
            "Eat the first five bites of a meal with full attention",
            "Sit quietly {when} before you look at your phone",
        ),
        (
            "Meditate without guidance, with a timer",
            "Note in one line how your mind felt after meditating",
            "Try a loving-kindness meditation: wish yourself and others well",
            "Use a stressful moment today to practise three mindful breaths",
            "Meditate at a different time of day than usual",
            "Notice thoughts as they come and label them 'thinking'",
            "Sit for a few minutes outdoors, listening to every sound",
        ),
        (
            "Meditate twice today, once in the morning and once in the evening",
            "Try box breathing: four in, four hold, four out, four hold",
            "Meditate even though you feel restless, and note what happened",
            "Do a longer body scan before sleep",
            "Spend a meal with no screens, no reading, just eating",
            "Sit with a difficult feeling for one minute without fixing it",
            "Read or listen to a short teaching about meditation",
        ),
        (
            "Do your longest sit so far",
            "Teach a friend the breathing exercise you like best",
            "Write what has changed since you began this plan",
            "Join a group meditation, in person or online",
            "Keep a calm minute before every meeting or class today",
            "Choose the length and time you will keep after this plan",
            "Meditate in a noisy place and keep returning to your breath",
        ),
    ),
    ramps=(
        Ramp("Meditate for {n} minutes {when}", steps(2, 31, 1)),
        Ramp("Follow your breath for {n} breaths without counting out loud", steps(10, 126, 4)),
        Ramp("Do a body scan lasting {n} minutes", steps(3, 32, 1)),
        Ramp("Take a {n}-minute mindful walk without your phone", steps(5, 34, 1)),
        Ramp("Sit in silence for {n} minutes before bed", steps(2, 31, 1)),
    ),
)
