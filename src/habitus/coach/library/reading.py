"""Reading: books, pages a day, a reading corner, finishing what you start."""

from habitus.coach.library.shape import Category, Question, Ramp, phrases, steps, words

CATEGORY = Category(
    id="reading",
    keywords=words("read reading reader book books novel novels kindle ebook audiobook library"),
    phrases=phrases("read more, reading habit, finish a book, pages a day, more books"),
    polarity="build",
    questions=(
        Question("Why do you want to read more?", "motivation"),
        Question("What usually stops you from reading?", "obstacle"),
        Question("When and where could you read most days?", "when"),
        Question("How much do you read in a normal week now?", "level"),
    ),
    build_name="Read every day",
    quit_name="Fewer unread books",
    noun="reading",
    default_when="before bed",
    tiers=(
        (
            "Choose one book you actually want to read and put it where you sit",
            "Read one page {when}",
            "Write the title of your book and today's date on a bookmark",
            "Find a quiet spot at home that will be your reading place",
            "Read for five minutes while your coffee or tea cools",
            "Put a book in your bag so a wait becomes reading time",
            "Join or log in to your local library's website",
        ),
        (
            "Read two pages {when}, even on a busy day",
            "Leave your phone in another room while you read",
            "Write one sentence about what you read today",
            "Swap five minutes of scrolling for five minutes of your book",
            "Make a list of three books you want to read next",
            "Read during one commute or waiting time today",
            "Set a daily reminder to read {when}",
        ),
        (
            "Read a full chapter in one sitting",
            "Underline or note one idea worth remembering",
            "Tell someone about something you read this week",
            "Read in a new place today: a park, a cafe, a bench",
            "Try an audiobook for a chore or a walk",
            "If the book bores you, give yourself permission to switch",
            "Read before looking at any screen in the morning",
        ),
        (
            "Read for a whole half hour without getting up",
            "Write a short summary of the last chapter in your own words",
            "Visit a library or bookshop and browse for twenty minutes",
            "Read two different books today: one for fun, one to learn",
            "Plan your reading time for every day of next week",
            "Read a chapter aloud to yourself or someone else",
            "Keep a reading log of date, pages and one thought",
        ),
        (
            "Finish the book you started, or decide to drop it and start another",
            "Write a short review of a book you finished",
            "Pick a book slightly harder than you usually read",
            "Read for an hour on a day off",
            "Start or join a small book chat with a friend",
            "Set a reading goal for the next month and write it down",
            "Recommend a book to someone and say why",
        ),
    ),
    ramps=(
        Ramp("Read {n} pages {when}", steps(5, 64, 2)),
        Ramp("Read for {n} minutes without your phone nearby", steps(5, 64, 2)),
        Ramp("Read {n} pages before you open any app today", steps(3, 32, 1)),
        Ramp("Write {n} words about what you read today", steps(20, 136, 4)),
        Ramp("Read for {n} minutes during a break or a wait", steps(3, 32, 1)),
    ),
)
