"""Study: regular focused study sessions, for exams, courses, or a language."""

from habitus.coach.library.shape import Category, Question, Ramp, phrases, steps, words

CATEGORY = Category(
    id="study",
    keywords=words(
        "study studying revise revision exam exams homework course courses class lecture"
        " language spanish french german english japanese vocabulary"
        " procrastinate procrastinating procrastination coding programming school"
        " university college thesis"
    ),
    phrases=phrases("pass my exam, learn a language, online course, focus on my studies"),
    polarity="build",
    questions=(
        Question("What will studying regularly make possible for you?", "motivation"),
        Question("What most often pulls you away when you sit down to study?", "obstacle"),
        Question("When and where do you focus best?", "when"),
        Question("How much do you study in a typical week now?", "level"),
    ),
    build_name="Study every day",
    quit_name="Less procrastination",
    noun="study",
    default_when="after lunch",
    tiers=(
        (
            "Write down exactly what you want to learn or pass, and by when",
            "Clear your desk and leave only what you need to study",
            "Study for ten minutes {when}, then stop on purpose",
            "Put your phone in another room before you start",
            "Break your next topic into five small pieces",
            "Find one good resource for your subject and bookmark it",
            "Decide on a fixed start time for studying tomorrow",
        ),
        (
            "Do one focus block: 25 minutes of study, 5 minutes of rest",
            "Write three questions about today's topic, then answer them",
            "Review yesterday's notes for five minutes before new work",
            "Block distracting websites while you study {when}",
            "Explain one idea out loud as if teaching a friend",
            "Make flashcards for ten key facts or words",
            "Plan tomorrow's study session in one line before you stop",
        ),
        (
            "Do two focus blocks back to back with a short break",
            "Test yourself without notes, then check what you missed",
            "Study the topic you have been avoiding for 20 minutes",
            "Turn a chapter into a one-page summary",
            "Study with a friend or in a library for an hour",
            "Review all flashcards you made so far",
            "Start within five minutes of your planned time",
        ),
        (
            "Do a practice test or past paper under timed conditions",
            "Teach today's topic to someone and let them ask questions",
            "Plan a full week of study sessions in your calendar",
            "Find your three weakest topics and work on the first",
            "Study even though you do not feel like it, for at least 15 minutes",
            "Mix topics today: switch every 20 minutes",
            "Write a mind map of everything you have learned so far",
        ),
        (
            "Do a full mock exam or a big project task from start to finish",
            "Review your mistakes from the last test and redo them",
            "Study three focus blocks in one day",
            "Write the study routine you will keep after this plan",
            "Help someone else understand a topic you have mastered",
            "Check your progress against the goal you wrote on day 1",
            "Tackle the hardest problem you can find on your topic",
        ),
    ),
    ramps=(
        Ramp("Study for {n} minutes {when} with your phone out of the room", steps(10, 126, 4)),
        Ramp("Review {n} flashcards or key facts", steps(10, 126, 4)),
        Ramp("Solve {n} practice questions on your subject", steps(3, 32, 1)),
        Ramp("Study for {n} minutes before checking any messages", steps(5, 34, 1)),
        Ramp("Learn {n} new words, terms or formulas", steps(3, 32, 1)),
        Ramp("Write a summary of today's topic in {n} words or fewer", tuple(range(300, 40, -10))),
    ),
)
