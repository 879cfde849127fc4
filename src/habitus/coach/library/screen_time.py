"""Screen time: phone, scrolling, social media, binge-watching. Leans towards quitting."""

from habitus.coach.library.shape import Category, Question, Ramp, phrases, steps, words

CATEGORY = Category(
    id="screen_time",
    keywords=words(
        "phone smartphone scroll scrolling doomscrolling screen screens instagram tiktok"
        " youtube facebook twitter reddit netflix social notification notifications"
        " binge gaming videogames"
    ),
    phrases=phrases(
        "social media, screen time, on my phone, my phone, video games, watching tv,"
        " binge watching, doom scrolling, check my phone, checking my phone"
    ),
    polarity="quit",
    questions=(
        Question("What would you rather do with the time you spend on your screen?", "motivation"),
        Question("What pulls you back to the screen when you mean to stop?", "obstacle"),
        Question("When and where do you scroll the most?", "when"),
        Question("Roughly how many hours a day is your screen time now?", "level"),
    ),
    build_name="Phone-free evenings",
    quit_name="Less scrolling",
    noun="screen-time",
    default_when="in the evening",
    tiers=(
        (
            "Look up your screen-time report and write down today's number",
            "Turn off notifications for one app you check without thinking",
            "Move your most-scrolled app off the home screen into a folder",
            "Put your phone to charge outside the bedroom tonight",
            "Pick one offline thing to do instead of scrolling and keep it in sight",
            "Switch your phone to greyscale for the evening",
            "Leave your phone in another room during one meal today",
        ),
        (
            "Log out of your most-used social app so opening it takes effort",
            "Buy or dig out an alarm clock so the phone can sleep elsewhere",
            "Set an app limit on your biggest time sink",
            "Keep the phone out of reach {when}",
            "Go for a walk without your phone, even a short one",
            "Turn off every notification that is not from a person",
            "Before unlocking your phone, say out loud what you are opening it for",
        ),
        (
            "Delete one app you regret opening; you can reinstall it later",
            "Keep your phone in a drawer for the first hour after waking",
            "Watch one episode on purpose instead of letting autoplay choose",
            "Replace the scroll {when} with a book, a puzzle or a call",
            "Leave your phone at home for one short errand",
            "Mute or unfollow ten accounts that leave you feeling worse",
            "Turn off autoplay on every video app you use",
        ),
        (
            "Spend a whole evening with the phone on flight mode after dinner",
            "Check messages only three times today, at times you choose",
            "Keep the bedroom phone-free every night this week",
            "Tell a friend you are cutting back and ask them to check on you",
            "Plan a screen-free weekend morning with something you enjoy",
            "Take social apps off your phone; use them only on a computer",
            "Notice each urge to scroll today and wait two minutes before acting",
        ),
        (
            "Go a full day without social media and write how it felt",
            "Set your phone to 'do not disturb' from dinner until morning",
            "Compare your screen-time report with day 1 and note the change",
            "Make a rule you will keep after this plan and write it on paper",
            "Spend a full afternoon outdoors with your phone left at home",
            "Help someone else set up their own phone-free hour",
            "Choose which apps truly earn a place on your phone; delete the rest",
        ),
    ),
    ramps=(
        Ramp("Keep the phone away for {n} minutes {when}", steps(10, 126, 4)),
        Ramp("Stay under {n} minutes of social media today", tuple(range(90, 30, -2))),
        Ramp("Do {n} minutes of something offline instead of your first scroll", steps(5, 34, 1)),
        Ramp("Start your day with {n} phone-free minutes after waking", steps(10, 68, 2)),
        Ramp("Read {n} pages of a paper book in place of scrolling", steps(3, 32, 1)),
    ),
)
