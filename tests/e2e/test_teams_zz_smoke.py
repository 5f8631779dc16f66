import json
from teams_support import TOM, RACHEL, AMY, connector, teams, execute_of  # noqa: F401
from teams_limits import shown_text, buttons
from handlers.teams import cards

def test_smoke(teams):
    teams.say(RACHEL, 'propose @tom Thu P3 30m')
    n = teams.notices("proposal")[0]
    msg = cards.message(n.card)
    card = msg["attachments"][0]["content"]
    sug = execute_of(card, "visit.suggest")
    a = teams.press(TOM, sug)
    print("INLINE", json.dumps(a.body)[:1500])
    form = a.card
    sub = execute_of(form, "suggest.submit")
    a = teams.press(TOM, sub, inputs={"date": "2027-02-06", "time": "11:10"})
    print("REFUSED", shown_text(a.card)); print([(b.get('verb'), b.get('data')) for b in buttons(a.card)])
    at = execute_of(a.card, "suggest.at.0")
    a = teams.press(TOM, at, inputs={"date": "2027-02-06", "time": "11:10"})
    print("DONE", json.dumps(a.body)[:800])
    # dialog
    a = teams.fetch(RACHEL, {"action": "propose.open", "visit": None, "at": None})
    print("DIALOG", json.dumps(a.body)[:600])
    d = a.dialog
    a = teams.submit(RACHEL, d, inputs={"teacher": TOM.aad, "date": "2027-02-02", "time": "11:10", "minutes": "30", "kind": "peer"})
    print("DREFUSED", json.dumps(a.body)[:300]); print(shown_text(a.dialog)); print([(b.get('type'), b.get('id'), b.get('data')) for b in buttons(a.dialog)])
