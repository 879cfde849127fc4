"""Diet and sugar: fewer sweets and snacks, more real food. Leans towards quitting."""

from habitus.coach.library.shape import Category, Question, Ramp, phrases, steps, words

CATEGORY = Category(
    id="diet",
    keywords=words(
        "sugar sugary sweet sweets candy chocolate dessert desserts soda snack snacks"
        " snacking junk fastfood diet eat eating food vegetable vegetables veggies fruit"
        " cake cookies biscuits crisps chips takeaway overeating healthy"
    ),
    phrases=phrases(
        "junk food, fast food, eat healthier, eat better, sweet tooth, late night snacks,"
        " fizzy drinks, eat less, cook at home"
    ),
    polarity="quit",
    questions=(
        Question("Why do you want to change how you eat?", "motivation"),
        Question("When do cravings hit hardest, and what triggers them?", "obstacle"),
        Question("At what time of day or in which place do you usually give in?", "when"),
        Question("What does a typical day of eating look like for you now?", "level"),
    ),
    build_name="Eat well every day",
    quit_name="Less sugar",
    noun="eating",
    default_when="in the afternoon",
    tiers=(
        (
            "Write down everything sweet you eat today, without judging",
            "Drink a glass of water when a craving comes and wait five minutes",
            "Put sweets out of sight: a high cupboard or an opaque box",
            "Add one portion of vegetables to a meal today",
            "Eat breakfast with some protein: eggs, yoghurt, nuts or beans",
            "Choose fruit instead of one sweet snack {when}",
            "Read the sugar line on the label of one food you eat often",
        ),
        (
            "Skip sugar in your coffee or tea, or halve it",
            "Plan tomorrow's snacks tonight so hunger does not decide",
            "Buy no sweets on your next shopping trip",
            "Eat slowly: put your fork down between bites at one meal",
            "Swap one soda or juice for water or sparkling water",
            "Keep a healthy snack with you {when}",
            "Cook one simple meal at home instead of ordering in",
        ),
        (
            "Go a whole afternoon without anything sweet",
            "Find two snacks you like that are not sweet, and stock them",
            "Make a list of situations where you eat without being hungry",
            "Eat a vegetable with every meal today",
            "When a craving hits, take a short walk first",
            "Have dessert only if you planned it in the morning",
            "Cook a larger batch of something healthy for the next days",
        ),
        (
            "Go a full day with no added sugar",
            "Say no, kindly, to one offered sweet today",
            "Try a new recipe built around vegetables or beans",
            "Plan every meal for the next three days",
            "Eat without a screen for one whole meal",
            "Replace your usual dessert with fruit and yoghurt",
            "Check in with your hunger before eating: rate it 1 to 10",
        ),
        (
            "Get through your hardest craving time without sweets",
            "Go three days in a row with no sweet snacks",
            "Compare your cravings today with the first week",
            "Host or bring a healthy dish to share with others",
            "Decide your rules for sweets after this plan, and write them",
            "Eat at a party or restaurant and stick to your plan",
            "Cook a full healthy meal for someone else",
        ),
    ),
    ramps=(
        Ramp("Make {n} meals and snacks in a row free of added sugar", steps(2, 31, 1)),
        Ramp("Eat {n} portions of fruit or vegetables today", steps(2, 9, 1)),
        Ramp("When a craving comes, wait {n} minutes before deciding", steps(3, 32, 1)),
        Ramp("Keep to {n} grams of added sugar or fewer today", tuple(range(60, 0, -2))),
        Ramp("Walk for {n} minutes after a meal instead of a sweet", steps(5, 34, 1)),
        Ramp("Drink {n} ml of water between meals to tell thirst from hunger", steps(200, 980, 30)),
    ),
)
