"""Smoking and vaping: cutting down and stopping. Leans towards quitting."""

from habitus.coach.library.shape import Category, Question, Ramp, phrases, steps, words

CATEGORY = Category(
    id="smoking",
    keywords=words(
        "smoke smoking smoker cigarette cigarettes cigs cig vape vaping vapes nicotine"
        " tobacco juul cigar cigars"
    ),
    phrases=phrases("quit smoking, stop smoking, e cigarette, nicotine patch, a pack a day"),
    polarity="quit",
    questions=(
        Question("What is your biggest reason for stopping?", "motivation"),
        Question("Which moments make you reach for a cigarette or vape?", "obstacle"),
        Question("When and where do you usually smoke?", "when"),
        Question("How much do you smoke or vape on a normal day?", "level"),
    ),
    build_name="Smoke-free days",
    quit_name="Quit smoking",
    noun="smoke-free",
    default_when="after meals",
    tiers=(
        (
            "Count every cigarette or vape session today, without changing anything",
            "Write down the three situations where you smoke the most",
            "Work out how much money you spend on smoking each month",
            "Delay your first cigarette of the day by ten minutes",
            "Keep a glass of water or gum ready for the urges",
            "Tell one person you trust that you are starting to cut down",
            "Look up your local free stop-smoking service and note its number",
        ),
        (
            "Do not smoke in your home or car from today",
            "When an urge comes, breathe slowly for one minute before deciding",
            "Replace the cigarette {when} with a short walk",
            "Leave cigarettes and lighters at home when you go out once today",
            "Ask a pharmacist or doctor about nicotine replacement",
            "Throw away ashtrays or vape pods you keep in sight",
            "Drink water or chew gum instead of the first smoke after coffee",
        ),
        (
            "Smoke only outside and alone: no smoking with others today",
            "Pick a quit date within the next two weeks and write it down",
            "Buy only one pack or pod at a time, never a stock",
            "Keep your hands busy {when}: a stress ball, a pen, a snack",
            "Skip one of your usual cigarettes completely",
            "Avoid one place or routine that always leads to smoking",
            "Put the money you did not spend today in a jar or savings pot",
        ),
        (
            "Go a whole morning smoke-free",
            "Remove all cigarettes, lighters and vapes from your home",
            "Plan what you will do at your hardest trigger time instead",
            "Spend time with non-smokers instead of on a smoke break",
            "Ride out a craving by doing ten deep breaths and drinking water",
            "Clean your clothes, car or room to remove the smell",
            "Make it through a stressful moment without smoking",
        ),
        (
            "Go a whole day without smoking or vaping",
            "Count the money saved so far and plan a reward",
            "Turn down an offered cigarette with a sentence you prepared",
            "Write a letter to yourself about why you are stopping",
            "Notice one thing that smells or tastes better now",
            "Make a plan for slips: what you will do if you smoke one",
            "Help or encourage someone else who wants to stop",
        ),
    ),
    ramps=(
        Ramp("Wait {n} minutes after waking before your first smoke, if any", steps(15, 131, 4)),
        Ramp("Smoke or vape at most {n} times today", tuple(range(30, 1, -1))),
        Ramp("Stay smoke-free for {n} hours, starting {when}", steps(2, 31, 1)),
        Ramp("When a craving comes, walk or move for {n} minutes first", steps(2, 31, 1)),
        Ramp("Put the price of {n} cigarettes you did not smoke into savings", steps(2, 60, 2)),
    ),
)
