"""Water: drinking enough through the day, and fewer sweet drinks in its place."""

from habitus.coach.library.shape import Category, Question, Ramp, phrases, steps, words

CATEGORY = Category(
    id="water",
    keywords=words("water hydrate hydrated hydration thirsty glass glasses bottle dehydrated"),
    phrases=phrases(
        "drink more water, drink water, stay hydrated, litres of water, liters of water"
    ),
    polarity="build",
    questions=(
        Question("Why do you want to drink more water?", "motivation"),
        Question("What makes you forget to drink during the day?", "obstacle"),
        Question("Where do you spend most of your day?", "when"),
        Question("How many glasses of water do you drink on a normal day?", "level"),
    ),
    build_name="Drink enough water",
    quit_name="Fewer sugary drinks",
    noun="water",
    default_when="when you wake up",
    tiers=(
        (
            "Drink a glass of water {when}",
            "Find a bottle you like and fill it before you leave home",
            "Put a glass of water where you work",
            "Count how many glasses you drink today, without changing anything",
            "Drink a glass of water before your first coffee or tea",
            "Add a slice of lemon or cucumber to a jug and keep it in the fridge",
            "Set a reminder for mid-morning that says 'drink'",
        ),
        (
            "Drink a glass of water with every meal today",
            "Refill your bottle every time it is empty, and count the refills",
            "Swap one sugary or fizzy drink for water today",
            "Keep a glass of water on your bedside table",
            "Drink a glass of water {when} and another mid-afternoon",
            "Mark lines on your bottle with the times you should reach them",
            "Drink water before you reach for a snack",
        ),
        (
            "Carry your bottle everywhere you go today",
            "Drink a glass of water after every bathroom break",
            "Try sparkling water in place of soda",
            "Have a glass of water before and after any exercise",
            "Order water first when eating out",
            "Check the colour of your urine in the afternoon: pale yellow is the aim",
            "Make herbal tea in the evening instead of another sweet drink",
        ),
        (
            "Reach your water goal before 6 pm",
            "Go a whole day with water as your only cold drink",
            "Prepare a jug in the morning and finish it by evening",
            "Drink water at each of your usual coffee times too",
            "Keep a water log for the whole day",
            "Drink a full glass as soon as you get home",
            "Bring water to a meeting, class or outing where you usually forget",
        ),
        (
            "Plan your water for a busy or travelling day",
            "Hit your goal three days in a row",
            "Compare how you feel now with the first week",
            "Help someone at home or at work drink more water too",
            "Keep a drink of water within reach for the whole day",
            "Set the water goal you will keep after this plan",
            "Go a week with no sugary drinks and note the difference",
        ),
    ),
    ramps=(
        Ramp("Drink {n} ml of water before noon", steps(250, 1410, 40)),
        Ramp("Drink {n} ml of water with your lunch", steps(150, 730, 20)),
        Ramp("Finish {n} ml of water {when}", steps(200, 780, 20)),
        Ramp("Drink {n} ml of water between lunch and dinner", steps(200, 1070, 30)),
        Ramp("Reach {n} ml of water by the end of the day", steps(1200, 3000, 60)),
    ),
)
