"""Exercise: moving more, from a walk around the block to regular workouts."""

from habitus.coach.library.shape import Category, Question, Ramp, phrases, steps, words

CATEGORY = Category(
    id="exercise",
    keywords=words(
        "exercise exercising workout workouts gym run running jog jogging walk walking fit"
        " fitness train training pushup pushups squat squats yoga swim swimming cycle"
        " cycling bike sport sports active steps stretch stretching strength muscle cardio"
    ),
    phrases=phrases("work out, get fit, in shape, go to the gym, lift weights, couch to 5k"),
    polarity="build",
    questions=(
        Question("What would being more active give you?", "motivation"),
        Question("What has stopped you from exercising before?", "obstacle"),
        Question("When in your day could you move for a little while?", "when"),
        Question("How active are you in a normal week now?", "level"),
    ),
    build_name="Move every day",
    quit_name="Less sitting",
    noun="exercise",
    default_when="today",
    tiers=(
        (
            "Put on your trainers and walk for five minutes {when}",
            "Lay out your exercise clothes tonight for tomorrow",
            "Do five squats while the kettle boils",
            "Stand up and stretch for two minutes every hour you sit",
            "Take the stairs instead of the lift once today",
            "Write down the kind of movement you enjoy the most",
            "Walk while you take one phone call",
        ),
        (
            "Do ten wall push-ups and ten squats {when}",
            "Go for a 15-minute walk at a pace that warms you up",
            "Follow a short beginner video workout at home",
            "Get off the bus one stop early, or park further away",
            "Hold a plank for as long as you comfortably can and note the time",
            "Put a recurring exercise slot in your calendar",
            "Dance to three songs in a row",
        ),
        (
            "Try a new kind of movement: a class, a swim, a bike ride",
            "Do a 20-minute workout with a warm-up and a cool-down",
            "Walk or cycle for one journey you would normally drive",
            "Ask a friend to exercise with you this week",
            "Stretch for ten minutes after your workout",
            "Do knee push-ups until your form breaks, then rest and repeat",
            "Write down how you feel after moving today",
        ),
        (
            "Do a 30-minute session you would have skipped a month ago",
            "Add one interval: walk fast or jog for a minute, then recover",
            "Try a bodyweight circuit: squats, push-ups, lunges, plank, twice",
            "Exercise on a day you do not feel like it, even if shorter",
            "Plan next week's workouts: days, times and what you will do",
            "Take a long walk somewhere new",
            "Track your workouts this week and count the sessions",
        ),
        (
            "Do your longest session so far and note how it went",
            "Repeat your first-week workout and notice how much easier it is",
            "Sign up for an event, a class or a challenge for next month",
            "Do a full-body workout three rounds through",
            "Teach someone one exercise you have learned",
            "Set a movement goal for the month after this plan",
            "Exercise outdoors for 45 minutes",
        ),
    ),
    ramps=(
        Ramp("Walk briskly for {n} minutes {when}", steps(10, 68, 2)),
        Ramp("Do {n} squats, in as many sets as you need", steps(10, 68, 2)),
        Ramp("Do {n} push-ups (wall or knee versions count)", steps(5, 34, 1)),
        Ramp("Hold a plank for {n} seconds in total", steps(20, 136, 4)),
        Ramp("Reach {n:,} steps today", tuple(range(4000, 12001, 250))),
    ),
)
