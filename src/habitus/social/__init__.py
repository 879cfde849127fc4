"""Friends, blocks, profiles, share links, challenges and leaderboards (DOMAIN D12).

Who may see whom is decided in one place (`access`): every query of this feature and of
others that show people (chat, challenges, leaderboards) asks it, so a block hides
both ways everywhere.
"""
