"""Writes table.jsonl: the project's own table of chat messages and what listening records
from them, in the form of ../shared/spec/listening_examples.jsonl, with two optional fields:
"places" (the places the group already uses, passed as known places) and, in the expected
record, "title" (checked where given, like "place"). "needs": a TIME.md rule the time layer
may not apply yet (the test skips the line, saying so, until it does).

Wall-clock times are written as they would be said; the offsets come from Europe/Paris."""
import json
from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
A = "2026-12-02T10:00:00+01:00"   # Wednesday morning, like the shared examples
B = "2026-10-21T18:30:00+02:00"   # Wednesday evening, four days before the autumn change
C = "2026-12-28T09:00:00+01:00"   # Monday, between the years


def at(local: str | None) -> str | None:
    if local is None:
        return None
    return datetime.fromisoformat(local).replace(tzinfo=PARIS).isoformat()


def meeting(text, start, end=None, place=None, title=None, now=A, places=None):
    m = {"start": at(start), "end": at(end)}
    if place:
        m["place"] = place
    if title:
        m["title"] = title
    line = {"now": now, "text": text, "expect": {"meeting": m}}
    if places:
        line["places"] = places
    return line


def permanence(text, rrule, first, minutes, place=None, title=None, now=A, places=None):
    p = {"rrule": rrule, "first": at(first), "duration_minutes": minutes}
    if place:
        p["place"] = place
    if title:
        p["title"] = title
    line = {"now": now, "text": text, "expect": {"permanence": p}}
    if places:
        line["places"] = places
    return line


def nothing(text, now=A, needs=None):
    line = {"now": now, "text": text, "expect": {}}
    if needs:
        line["needs"] = needs
    return line


LONG_MINUTES = ("Compte rendu de la réunion : " + "on a parlé des briques, des finances et de la "
                "communication, avec beaucoup d'idées pour la suite. " * 12
                + "Prochaine réunion jeudi 18h à la MESHS.")

TABLE = [
    # ---- meetings, French ----
    meeting("On se retrouve vendredi à 18h30 au Tiers-lieu ?", "2026-12-04 18:30",
            place="Tiers-lieu", title="Réunion"),
    meeting("Réunion du groupe statuts lundi 7 décembre à 19h à la MESHS", "2026-12-07 19:00",
            place="MESHS", title="Réunion du groupe statuts"),
    meeting("Atelier briques samedi 5 décembre de 14h à 17h", "2026-12-05 14:00",
            "2026-12-05 17:00", title="Atelier briques"),
    meeting("Je vous propose une rencontre avec la BGE mardi 15 décembre à 10h",
            "2026-12-15 10:00", title="Rencontre avec la BGE"),
    meeting("Qui est partant pour un apéro des communs vendredi soir à 19h ?", "2026-12-04 19:00",
            title="Apéro des communs"),
    meeting("on se voit demain 14h pour le dossier de subvention ?", "2026-12-03 14:00",
            title="Dossier de subvention"),
    meeting("Réu jeudi 10/12 à 18h, salle 3 de la MESHS", "2026-12-10 18:00", title="Réu"),
    meeting("ASSEMBLÉE DES COMMUNS SAMEDI 12 DÉCEMBRE 14H À LA MESHS", "2026-12-12 14:00",
            place="MESHS"),
    meeting("reunion finances mardi 8 decembre 18h30 au tiers lieu", "2026-12-08 18:30",
            place="Tiers-lieu", places=["MESHS", "Tiers-lieu"]),
    meeting("Rdv jeudi 17 décembre à 12h chez Pocheco pour la visite 🏭", "2026-12-17 12:00",
            place="Pocheco", places=["Pocheco", "MESHS"]),
    meeting("Proposition : atelier licences le 16/12 de 18h à 20h", "2026-12-16 18:00",
            "2026-12-16 20:00", title="Atelier licences"),
    meeting("Je propose qu'on se réunisse le 9 décembre à 17h pour préparer l'AG",
            "2026-12-09 17:00", title="Préparer l'AG"),
    meeting("Petite visio demain à 9h pour caler l'ordre du jour ?", "2026-12-03 09:00"),
    meeting("On fait un point téléphonique lundi 14/12 à 12h30 ?", "2026-12-14 12:30",
            title="Point téléphonique"),
    meeting("Rencontre avec OVH le 18 décembre à 15h, qui vient ?", "2026-12-18 15:00",
            title="Rencontre avec OVH"),
    meeting("Atelier « communs numériques » mercredi 9 décembre, 18h-20h, à la Coroutine",
            "2026-12-09 18:00", "2026-12-09 20:00", place="Coroutine"),
    meeting("Je lance un atelier écriture jeudi 10 décembre à 18h. Venez avec vos idées !",
            "2026-12-10 18:00", title="Atelier écriture"),
    meeting("Ça vous dit une balade dans le Vieux-Lille samedi à 15h ?", "2026-12-05 15:00",
            title="Balade dans le Vieux-Lille"),
    meeting("Séance de travail sur le guide lundi 7 décembre de 9h30 à 12h", "2026-12-07 09:30",
            "2026-12-07 12:00", title="Séance de travail sur le guide"),
    meeting("Qui est dispo ce soir à 20h pour une visio rapide ?", "2026-12-02 20:00"),
    meeting("Rendez-vous vendredi 11 décembre à 19h à la Maison des associations pour la soirée "
            "de soutien", "2026-12-11 19:00", place="Maison des associations"),
    meeting("Formation Mobilizon le samedi 19 décembre de 10h à 12h au Tiers-lieu",
            "2026-12-19 10:00", "2026-12-19 12:00", place="Tiers-lieu",
            title="Formation Mobilizon"),
    meeting("AG extraordinaire le 22 décembre à 18h à la MESHS, ordre du jour à venir",
            "2026-12-22 18:00", place="MESHS", title="AG extraordinaire"),
    meeting("Je propose un déj partagé jeudi à 12h30 au Tiers-lieu 🥗", "2026-12-03 12:30",
            place="Tiers-lieu"),
    meeting("Table ronde sur les communs fonciers le 14 décembre à 18h30", "2026-12-14 18:30",
            title="Table ronde sur les communs fonciers"),
    meeting("Conférence gesticulée mardi 15/12 à 20h à la MESHS, on y va ensemble ?",
            "2026-12-15 20:00", place="MESHS", title="Conférence gesticulée"),
    meeting("On s'organise un pique-nique samedi 12h si il fait beau ?", "2026-12-05 12:00"),
    meeting("Réunion de bureau jeudi 3 décembre 18h-19h30 en visio", "2026-12-03 18:00",
            "2026-12-03 19:30", place="en visio", title="Réunion de bureau"),
    meeting("Qui veut venir à la projection-débat vendredi 20h ?", "2026-12-04 20:00"),
    meeting("Atelier réparation vélo samedi 5/12 de 10h à 13h devant la MESHS 🚲",
            "2026-12-05 10:00", "2026-12-05 13:00"),
    meeting("Chantier participatif au jardin partagé samedi 12 décembre à 9h, prévoyez des gants",
            "2026-12-12 09:00", place="jardin partagé", title="Chantier participatif"),
    meeting("RDV lundi à 18h devant la mairie pour la manif", "2026-12-07 18:00"),
    meeting("Atelier statuts jeudi 3 déc. à 18h", "2026-12-03 18:00", title="Atelier statuts"),
    meeting("Rencontre inter-assos mercredi 16 décembre 19h, salle polyvalente",
            "2026-12-16 19:00", title="Rencontre inter-assos"),
    meeting("Point budget vendredi 4/12 à 11h ?", "2026-12-04 11:00", title="Point budget"),
    meeting("On se retrouve au Tiers-lieu jeudi 18h pour ranger le local", "2026-12-03 18:00",
            place="Tiers-lieu", title="Ranger le local"),
    meeting("Jeudi, on se retrouve à 18h à la MESHS ?", "2026-12-03 18:00", place="MESHS"),
    meeting("Demain on se voit à 14h au Tiers-lieu pour l'inventaire", "2026-12-03 14:00",
            place="Tiers-lieu", title="Inventaire"),
    meeting("Séance plénière dans 15 jours à 18h", "2026-12-16 18:00", title="Séance plénière"),
    meeting("Atelier samedi 10h-12h", "2026-12-05 10:00", "2026-12-05 12:00", title="Atelier"),
    meeting("atelier jeudi 18h ?", "2026-12-03 18:00", title="Atelier"),
    meeting("Reunion jeudi 18h a la meshs", "2026-12-03 18:00", place="MESHS", places=["MESHS"]),
    meeting("Qui est chaud pour un brainstorm demain à 16h ? 🧠", "2026-12-03 16:00",
            title="Brainstorm"),
    meeting("Je propose de se retrouver le lundi 21 décembre à 18h pour un dernier point avant "
            "les fêtes", "2026-12-21 18:00"),
    meeting("Atelier monnaie locale le 7 janvier à 18h à la MESHS", "2027-01-07 18:00",
            place="MESHS", title="Atelier monnaie locale"),
    meeting("Réunion de rentrée mardi 5 janvier 2027 à 18h30", "2027-01-05 18:30",
            title="Réunion de rentrée"),
    meeting("Rencontre avec Entreprendre autrement jeudi 14 janvier à 10h", "2027-01-14 10:00",
            title="Rencontre avec Entreprendre autrement"),
    meeting("Je vous propose une visio le 11/12 à 21h pour ceux qui bossent en journée",
            "2026-12-11 21:00"),
    meeting("Atelier « Guide des communs » : samedi 19 décembre, de 14h à 18h, MESHS (salle 2)",
            "2026-12-19 14:00", "2026-12-19 18:00", place="MESHS", places=["MESHS"]),
    meeting("Réunion de préparation de l'AG : jeudi 17/12, 18h, chez Camille",
            "2026-12-17 18:00", place="chez Camille", title="Réunion de préparation de l'AG"),
    meeting("Apéro de fin d'année vendredi 18 décembre à 19h au Tiers-lieu 🎄",
            "2026-12-18 19:00", place="Tiers-lieu", title="Apéro de fin d'année"),
    meeting("Réunion groupe communication lundi 14 décembre de 18h à 19h en visio (lien à venir)",
            "2026-12-14 18:00", "2026-12-14 19:00", place="en visio",
            title="Réunion groupe communication"),
    meeting("Qui serait dispo mardi 8/12 à 14h pour accueillir les Cigales ?",
            "2026-12-08 14:00", title="Accueillir les Cigales"),
    meeting("On pourrait faire un atelier cartographie samedi 12 à 10h ?", "2026-12-12 10:00",
            title="Atelier cartographie"),
    meeting("Atelier jeudi 3/12 18h30", "2026-12-03 18:30"),
    meeting("Réunion mercredi 9 décembre midi au Tiers-lieu, on mange ensemble",
            "2026-12-09 12:00", place="Tiers-lieu"),
    meeting("Qui est dispo à 17h demain pour préparer la salle ?", "2026-12-03 17:00",
            title="Préparer la salle"),
    meeting("Assemblée plénière le samedi 16 janvier de 9h30 à 12h30 à la MESHS",
            "2027-01-16 09:30", "2027-01-16 12:30", place="MESHS", title="Assemblée plénière"),
    meeting("Réunion téléphonique vendredi à 8h, pour les lève-tôt", "2026-12-04 08:00",
            title="Réunion téléphonique"),
    meeting("Rencontre avec les élus de la Métropole le 10 décembre à 11h à l'Hôtel de ville",
            "2026-12-10 11:00", place="Hôtel de ville",
            title="Rencontre avec les élus de la Métropole"),
    meeting("Je propose un atelier « budget participatif » le mardi 15/12 de 18h à 20h !",
            "2026-12-15 18:00", "2026-12-15 20:00"),
    meeting("on se cale une visio demain 10h ?", "2026-12-03 10:00"),
    meeting("Réunion jeudi 24 décembre à 10h ? (oui oui, la veille de Noël 😅)",
            "2026-12-24 10:00"),
    meeting("Qui est dispo pour tenir le stand au marché de Noël samedi 19 décembre de 14h à "
            "18h ?", "2026-12-19 14:00", "2026-12-19 18:00", place="marché de Noël"),
    meeting("Atelier vendredi 4 décembre de 18h à 21h au Tiers-lieu, apportez à manger !",
            "2026-12-04 18:00", "2026-12-04 21:00", place="Tiers-lieu", title="Atelier"),
    meeting("Réunion de coordination dans 8 jours à 18h", "2026-12-09 18:00",
            title="Réunion de coordination"),
    meeting("On se retrouve après-demain à 9h pour le déménagement du local",
            "2026-12-04 09:00", title="Déménagement du local"),
    meeting("Venez à l'atelier compost samedi 5 décembre à 11h au jardin des Olieux",
            "2026-12-05 11:00", place="jardin des Olieux"),
    meeting("Réunion du CA mardi 15 décembre à 19h", "2026-12-15 19:00",
            title="Réunion du CA"),
    meeting("Café des communs vendredi 11 décembre à 8h30 au Tiers-lieu ☕", "2026-12-11 08:30",
            place="Tiers-lieu", title="Café des communs"),
    meeting("Hello ! Atelier licences ce jeudi à 18h à la MESHS", "2026-12-03 18:00",
            place="MESHS", title="Atelier licences"),
    meeting("Atelier jeudi prochain à 18h", "2026-12-03 18:00"),
    meeting("Rencontre jeudi en huit à 18h avec le collectif", "2026-12-10 18:00"),
    meeting("Je propose une réunion le 1er janvier à 15h pour fêter la nouvelle année 🎉",
            "2027-01-01 15:00"),
    meeting("petite réunion informelle demain à 13h à la cafèt", "2026-12-03 13:00",
            place="cafèt", title="Réunion informelle"),
    meeting("Atelier de relecture samedi 14h-16h, chez moi (3 rue des Arts)", "2026-12-05 14:00",
            "2026-12-05 16:00", title="Atelier de relecture"),
    meeting("Atelier « fresque » samedi 14h ✨ inscriptions sur https://framaforms.org/fresque-2026",
            "2026-12-05 14:00"),
    meeting("Réunion visio jeudi 18h : https://meet.jit.si/chambre-des-communs",
            "2026-12-03 18:00", title="Réunion visio"),
    meeting("Atelier samedi 14h à la MESHS, infos : https://example.org/atelier?date=2026-12-05&h=14",
            "2026-12-05 14:00", place="MESHS", title="Atelier"),
    meeting("Salut tout le monde ! Je vous propose un atelier jeudi 10 décembre à 18h à la MESHS "
            "pour avancer sur la brique « services financiers ». On fera le point sur ce qui "
            "existe et ce qui manque. Ramenez vos ordis 💻", "2026-12-10 18:00", place="MESHS"),
    meeting("reu demain 18h ?", "2026-12-03 18:00"),
    meeting("atelier samedi 14h a la meshs", "2026-12-05 14:00", place="MESHS",
            places=["MESHS", "Tiers-lieu"]),
    meeting("on se retrouve jeudi 18h a la mesh ?", "2026-12-03 18:00", place="mesh"),
    meeting("REUNION JEUDI 18H", "2026-12-03 18:00"),
    meeting("qui est dispo jeudi 18h pr l'atelier ?", "2026-12-03 18:00"),
    meeting("on se voit jeudi 18h ? 😊", "2026-12-03 18:00"),
    meeting("Réunion jeudi 18h !!!", "2026-12-03 18:00", title="Réunion"),
    meeting("Vous êtes dispo jeudi 18h pour une réu ?", "2026-12-03 18:00"),
    meeting("Rencontre avec la CCI jeudi 10/12 à 9h à la CCI Grand Lille", "2026-12-10 09:00",
            place="CCI Grand Lille", title="Rencontre avec la CCI"),
    meeting("Réunion d'info sur les Cigales mardi 8 décembre à 18h30 à la MESHS, entrée libre",
            "2026-12-08 18:30", place="MESHS"),
    meeting("Atelier tricot-papote dimanche 6 décembre 15h chez Lou 🧶", "2026-12-06 15:00",
            place="chez Lou"),
    meeting("Qui est motivé pour un chantier rangement samedi 9h-12h ?", "2026-12-05 09:00",
            "2026-12-05 12:00", title="Chantier rangement"),
    meeting("Je vous propose de nous retrouver lundi 14 décembre à 18h à la Coroutine",
            "2026-12-14 18:00", place="Coroutine"),
    meeting("Réunion le 10 décembre de 18h à 20h30", "2026-12-10 18:00", "2026-12-10 20:30"),
    meeting("Rencontre avec LMI le 11 décembre à 14h pendant 1h30", "2026-12-11 14:00",
            "2026-12-11 15:30", title="Rencontre avec LMI"),
    meeting("Forum des communs samedi 12 décembre de 10h à 18h à la Maison de l'économie "
            "solidaire", "2026-12-12 10:00", "2026-12-12 18:00",
            place="Maison de l'économie solidaire", title="Forum des communs"),

    meeting("J'ai vu qu'il y a un atelier jeudi 18h à la MESHS organisé par la ville",
            "2026-12-03 18:00", place="MESHS", title="Atelier organisé par la ville"),
    meeting("Camille propose un atelier jeudi 18h à la MESHS", "2026-12-03 18:00", place="MESHS"),
    meeting("Je relaie : conférence sur les communs mardi 8 décembre à 19h à l'université",
            "2026-12-08 19:00", place="université", title="Conférence sur les communs"),
    meeting("J'anime un atelier à la médiathèque jeudi 18h, venez si vous voulez",
            "2026-12-03 18:00", place="médiathèque", title="Atelier"),
    meeting("Ce soir 19h apéro chez moi pour fêter ça", "2026-12-02 19:00", place="chez moi",
            title="Apéro pour fêter ça"),

    # ---- meetings, English ----
    meeting("Let's meet on Monday at 10am at the MESHS", "2026-12-07 10:00", place="MESHS",
            title="Meeting"),
    meeting("Workshop on commons licences, Thursday 10 December, 6pm-8pm", "2026-12-10 18:00",
            "2026-12-10 20:00", title="Workshop on commons licences"),
    meeting("Who's free for a call tomorrow at 5pm?", "2026-12-03 17:00"),
    meeting("Shall we meet on Friday at noon to review the guide?", "2026-12-04 12:00",
            title="Review the guide"),
    meeting("Meeting with OVH on December 18 at 3pm", "2026-12-18 15:00",
            title="Meeting with OVH"),
    meeting("How about a workshop on Saturday from 2pm to 4pm at the Tiers-lieu?",
            "2026-12-05 14:00", "2026-12-05 16:00", place="Tiers-lieu", title="Workshop"),
    meeting("I propose a session on the budget on Tuesday 15 December at 6:30pm",
            "2026-12-15 18:30", title="Session on the budget"),
    meeting("Anyone up for drinks on Friday at 7pm? 🍻", "2026-12-04 19:00"),
    meeting("General assembly on Saturday 12 December at 2pm, everyone is welcome",
            "2026-12-12 14:00", title="General assembly"),
    meeting("let's get together tomorrow at 6pm at Pocheco", "2026-12-03 18:00",
            place="Pocheco"),
    meeting("Quick call tonight at 9pm?", "2026-12-02 21:00", title="Call"),
    meeting("Brainstorm next Thursday at 4pm", "2026-12-03 16:00", title="Brainstorm"),
    meeting("Can we meet on the 10th at 6pm?", "2026-12-10 18:00"),
    meeting("Workshop: December 16, 6pm-8pm, MESHS", "2026-12-16 18:00", "2026-12-16 20:00",
            place="MESHS", places=["MESHS"], title="Workshop"),
    meeting("We'll host a meetup on Wednesday 9 December at 7pm", "2026-12-09 19:00",
            title="Meetup"),
    meeting("Team meeting Monday 14/12 at 9:30am", "2026-12-14 09:30"),
    meeting("who's in for a picnic on Saturday at 1pm?", "2026-12-05 13:00", title="Picnic"),
    meeting("Lunch meeting on Friday 4 December at 12:30pm?", "2026-12-04 12:30"),
    meeting("Let's have a potluck on Sunday 13 December at noon", "2026-12-13 12:00",
            title="Potluck"),
    meeting("Office hours this Thursday 5pm-7pm at the Tiers-lieu", "2026-12-03 17:00",
            "2026-12-03 19:00", place="Tiers-lieu", title="Office hours"),
    meeting("Hey all, workshop tomorrow 2pm-5pm, bring your laptops", "2026-12-03 14:00",
            "2026-12-03 17:00", title="Workshop"),
    meeting("Workshop on Saturday at 10am at the library", "2026-12-05 10:00",
            place="library"),

    # ---- permanences ----
    permanence("Je tiendrai une permanence tous les jeudis de 17h à 19h à la MESHS",
               "FREQ=WEEKLY;BYDAY=TH", "2026-12-03 17:00", 120, place="MESHS",
               title="Permanence"),
    permanence("Permanence juridique le premier mardi du mois à 18h au Tiers-lieu",
               "FREQ=MONTHLY;BYDAY=1TU", "2027-01-05 18:00", None, place="Tiers-lieu",
               title="Permanence juridique"),
    permanence("Nouvelle permanence : tous les samedis de 10h à 12h à la Coroutine",
               "FREQ=WEEKLY;BYDAY=SA", "2026-12-05 10:00", 120, place="Coroutine"),
    permanence("permanence des communs chaque mercredi 12h-14h", "FREQ=WEEKLY;BYDAY=WE",
               "2026-12-02 12:00", 120, title="Permanence des communs"),
    permanence("On ouvre une permanence un mardi sur deux à 18h à partir du 8 décembre",
               "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "2026-12-08 18:00", None),
    permanence("Perm tous les vendredis à 17h au local", "FREQ=WEEKLY;BYDAY=FR",
               "2026-12-04 17:00", None, place="local", title="Perm"),
    permanence("I'll hold office hours every Monday 6pm-8pm at the MESHS", "FREQ=WEEKLY;BYDAY=MO",
               "2026-12-07 18:00", 120, place="MESHS", title="Office hours"),
    permanence("Drop-in every other Wednesday at 5pm starting December 9",
               "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", "2026-12-09 17:00", None),
    permanence("Permanence accueil tous les lundis 14h-17h jusqu'au 21 décembre",
               "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261221T225959Z", "2026-12-07 14:00", 180,
               title="Permanence accueil"),
    permanence("Je propose une permanence le dernier jeudi du mois à 18h30 à la MESHS",
               "FREQ=MONTHLY;BYDAY=-1TH", "2026-12-31 18:30", None, place="MESHS"),
    permanence("Permanence tous les mardis à 17h pendant 2h au Tiers-lieu",
               "FREQ=WEEKLY;BYDAY=TU", "2026-12-08 17:00", 120, place="Tiers-lieu"),
    permanence("Je tiens une permanence chaque jeudi de 12h à 14h à partir du 7 janvier",
               "FREQ=WEEKLY;BYDAY=TH", "2027-01-07 12:00", 120),
    permanence("Permanence numérique toutes les deux semaines le samedi de 10h à 12h",
               "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "2026-12-05 10:00", 120,
               title="Permanence numérique"),
    permanence("Perm' tous les mercredis 18h-20h 🙂", "FREQ=WEEKLY;BYDAY=WE", "2026-12-02 18:00",
               120),
    permanence("Permanence le 1er et le 3e lundi du mois à 18h", "FREQ=MONTHLY;BYDAY=1MO,3MO",
               "2026-12-07 18:00", None),
    permanence("Permanence des communs tous les mardis 17h-19h au tiers lieu",
               "FREQ=WEEKLY;BYDAY=TU", "2026-12-08 17:00", 120, place="Tiers-lieu",
               places=["Tiers-lieu"]),

    # ---- nothing: a rhythm of meetings, or a permanence that exists ----
    nothing("On se retrouve tous les jeudis à 18h ?"),
    nothing("La permanence de mardi 17h est annulée"),
    nothing("Je ne peux plus tenir la permanence du jeudi à 18h"),
    nothing("Pas de permanence le 24 ni le 31 décembre"),
    nothing("Qui peut tenir la permanence du samedi 5 décembre à 10h ?"),
    nothing("La permanence des communs, c'est tous les mardis de 17h à 19h au Tiers-lieu"),
    nothing("Réunion tous les jeudis à 18h, comme d'habitude"),
    nothing("Atelier tous les jeudis de 18h à 20h sauf le 24 décembre"),

    # ---- nothing: personal appointments, absences, answers ----
    nothing("J'ai un rendez-vous chez le médecin demain à 11h"),
    nothing("Je suis chez le dentiste jeudi à 18h, je vous rejoins après"),
    nothing("Je ne serai pas là samedi à 14h, désolé"),
    nothing("Je serai absente à l'atelier de jeudi 18h"),
    nothing("Sorry I can't make it on Friday at 6pm"),
    nothing("Mon train arrive à 18h12 jeudi, je serai un peu en retard"),
    nothing("Je passe chez Pocheco jeudi à 14h récupérer les cartons"),
    nothing("J'ai réunion au boulot demain à 9h, je lirai ça après"),
    nothing("Je pars en vacances samedi à 7h, bonnes fêtes à tous !"),
    nothing("Je suis dispo jeudi 18h pour l'atelier"),
    nothing("Ok pour moi samedi 14h !"),
    nothing("Jeudi 18h ça me va 👍"),
    nothing("I have a dentist appointment on Thursday at 6pm"),
    nothing("My flight lands tomorrow at 10am, I'll join the call after"),
    nothing("I'm at the MESHS until 6pm on Thursday if anyone wants to drop by"),
    nothing("Ma fille a son spectacle vendredi à 18h"),
    nothing("Atelier samedi 14h chez moi, enfin si ma fille n'est pas malade"),
    nothing("Coucou, c'est mon anniv samedi à 20h, venez !"),
    nothing("La salle est réservée jeudi de 18h à 20h"),
    nothing("Je propose qu'on relise le doc avant jeudi 18h"),
    nothing("Le dossier est à rendre vendredi à 17h, qui peut relire ?"),
    nothing("Je vais chez le coiffeur jeudi à 17h, je serai en retard à l'atelier"),

    # ---- nothing: the past ----
    nothing("La réunion de lundi dernier était très productive"),
    nothing("C'était génial l'atelier de samedi dernier à 14h !"),
    nothing("Merci pour la réunion d'hier à 18h, le compte rendu arrive"),
    nothing("Quelqu'un a le compte rendu de l'AG du 28 novembre à 14h ?"),
    nothing("En 2025 on avait fait un atelier le 5 décembre à 18h"),
    nothing("Fun fact: the first meeting of the group was on 5 March 2024 at 6pm"),
    nothing("Thanks for the workshop last Saturday at 2pm!"),
    nothing("Réunion le 3/4 à 18h... ah non pardon, c'était le 3/12"),
    nothing("Bilan de l'année : atelier le 5 mars à 18h, rencontre le 12 juin à 14h, AG le 20 "
            "septembre à 10h. Merci à toutes et tous !"),

    # ---- nothing: negations, cancellations, moves ----
    nothing("Pas de réunion jeudi 18h, trop de monde absent"),
    nothing("Réunion annulée demain 18h, on reporte"),
    nothing("L'atelier de samedi 14h est reporté au 12 décembre"),
    nothing("Je propose d'annuler la réunion de jeudi 18h"),
    nothing("Atelier décalé à jeudi 18h"),
    nothing("Bon atelier samedi 14h, je ne pourrai pas venir"),
    nothing("Reminder: no workshop this Saturday at 2pm"),
    nothing("The meeting on Friday at 6pm was moved to Monday"),
    nothing("Réunion jeudi 18h (je plaisante, on n'a pas de salle)"),
    nothing("Un atelier à 18h un samedi, personne ne viendra"),

    # ---- nothing: two dates, or one not sure ----
    nothing("Réunion jeudi ou vendredi 18h, vous préférez quoi ?"),
    nothing("On se retrouve mardi 18h ou mercredi 19h ?"),
    nothing("Atelier le 8 ou le 9 décembre à 18h ?"),
    nothing("Réunion jeudi 18h30 ou 19h, à voir"),
    nothing("Atelier samedi de 14h à 17h ou dimanche de 10h à 13h"),
    nothing("Atelier jeudi 18h ? Ou plutôt vendredi 18h ?"),
    nothing("We could meet on Thursday or Friday at 6pm"),
    nothing("Réunion vers 18h jeudi, je confirme demain"),
    nothing("Let's meet around 6pm on Friday"),
    nothing("Il faudrait qu'on se voie avant le 15 décembre à 18h"),
    nothing("On se voit après le 20 décembre à 14h ?"),
    nothing("On se retrouve jeudi à 18h pour fêter les 10 ans de l'asso ? Ça fait 3h qu'on en "
            "parle 😄"),
    nothing("Atelier jeudi en fin d'après-midi"),
    nothing("On pourrait se voir un de ces quatre"),
    nothing("Réunion la semaine prochaine, date à fixer"),
    nothing("Qui est dispo en décembre pour un atelier ?"),
    nothing("Atelier demain, l'heure reste à fixer"),
    nothing("Rencontre avec la CCI jeudi"),
    nothing("Réunion à 18h"),
    nothing("Workshop at 6pm"),
    nothing("Shall we do a quick sync on Monday at 11?"),
    nothing("Réunion jeudi 25h"),
    nothing("Atelier le 30 février à 18h"),
    nothing("Jeudi 18h ?"),

    # ---- nothing: quoted text ----
    nothing("> Atelier samedi 14h à la MESHS\n\nJ'y serai !"),
    nothing("> <@alice:example.org> On se retrouve jeudi 18h ?\n\nOui ça me va"),
    nothing("> Réunion jeudi 18h à la MESHS ?\n> qui vient ?\n\nmoi !"),

    # ---- nothing: questions about a meeting that exists ----
    nothing("La réunion de jeudi 18h est toujours maintenue ?"),
    nothing("C'est où la réunion de demain 18h ?"),
    nothing("Is the workshop on Saturday at 2pm still on?"),
    nothing("La réunion de jeudi 18h, c'est à la MESHS ou au Tiers-lieu ?"),
    nothing("Quelqu'un sait si l'atelier de samedi 14h a bien lieu ?"),
    nothing("Est-ce qu'il y a une réunion jeudi à 18h ?"),
    nothing("Vous savez s'il y a un atelier samedi à 14h ?"),
    nothing("Rappel : l'atelier de ce jeudi 18h a lieu à la MESHS"),
    nothing("N'oubliez pas la réunion de demain 18h !"),
    nothing("Qui a gardé les clés depuis l'atelier de samedi 14h ?"),
    nothing("Does anyone know if the MESHS is open on Saturday at 9am?"),
    nothing("On se retrouve jeudi 18h comme prévu ?"),
    nothing("Bien reçu, réunion jeudi 18h notée dans l'agenda"),
    nothing("Atelier jeudi 18h : 12 inscrits"),
    nothing("Rappel : atelier jeudi 18h à la MESHS"),
    nothing("Petit rappel : réunion demain 18h !"),
    nothing("Vous venez à l'atelier jeudi 18h ?"),
    nothing("Je serai à l'atelier jeudi 18h"),
    nothing("À jeudi 18h alors !"),
    nothing("Parfait, jeudi 18h à la MESHS 👍"),
    nothing("Ok va pour jeudi 18h"),
    nothing("Je confirme la réunion de jeudi 18h"),
    nothing("Réunion jeudi 18h confirmée à la MESHS"),
    nothing("Reminder: workshop on Saturday at 2pm at the Tiers-lieu"),

    # ---- nothing: jokes ----
    nothing("Rendez-vous le 31 novembre à 18h 😂"),
    nothing("Réunion le 1er avril à 3h du matin mdr"),
    nothing("lol meeting at 3am on Sunday"),
    nothing("Bonne réunion à tous ce soir à 18h !"),

    # ---- nothing: commands, code, links, long texts, other talk ----
    nothing("!réunion proposer vendredi 19h ; Atelier briques ; MESHS"),
    nothing("!meeting propose friday 7pm ; Workshop"),
    nothing("Le code : `notice(\"réunion jeudi 18h\")` renvoie bien la bonne date"),
    nothing("Voilà le log :\n```\n2026-12-02 18:00:01 INFO réunion jeudi 18h enregistrée\n```"),
    nothing("Le pad de la réunion du 15 décembre : https://pad.example.org/reunion-2026-12-15"),
    nothing("J'ai mis les photos de l'atelier sur https://photos.example.org/atelier-5-12-18h"),
    nothing("La MESHS est ouverte du lundi au vendredi de 8h à 20h"),
    nothing("Le marché de Noël c'est samedi de 10h à 18h"),
    nothing(LONG_MINUTES),
    nothing("Les 3 briques avancent bien, 12 personnes ont répondu au sondage"),
    nothing("Atelier statuts : la version 2 du document est sur le pad"),

    # ---- another day: before the autumn change ----
    meeting("On se retrouve demain à 18h à la MESHS ?", "2026-10-22 18:00", place="MESHS",
            now=B),
    meeting("Atelier lundi 26 octobre de 18h à 20h", "2026-10-26 18:00", "2026-10-26 20:00",
            now=B),
    meeting("Réunion ce soir à 20h en visio ?", "2026-10-21 20:00", place="en visio", now=B),
    nothing("Réunion ce soir à 18h ?", now=B),
    meeting("Atelier dimanche 25 octobre à 10h au Tiers-lieu", "2026-10-25 10:00",
            place="Tiers-lieu", now=B),
    permanence("Permanence tous les samedis de 10h à 12h à partir du 24 octobre",
               "FREQ=WEEKLY;BYDAY=SA", "2026-10-24 10:00", 120, now=B),
    meeting("Qui est dispo mercredi à 18h ?", "2026-10-28 18:00", now=B),
    meeting("Réunion mercredi à 20h ?", "2026-10-21 20:00", now=B),
    meeting("Rencontre avec la CCI le 3 novembre à 10h", "2026-11-03 10:00", now=B),
    meeting("Atelier jeudi 29 octobre à 18h30 à la MESHS", "2026-10-29 18:30", place="MESHS",
            now=B),
    nothing("Réunion du 15 octobre à 18h : compte rendu en ligne", now=B),
    meeting("Atelier samedi 24 à 14h", "2026-10-24 14:00", now=B),
    meeting("Assemblée générale le 14 novembre de 14h à 17h à la Maison des associations",
            "2026-11-14 14:00", "2026-11-14 17:00", place="Maison des associations", now=B),
    meeting("Apéro vendredi 18h30 au Tiers-lieu ?", "2026-10-23 18:30", place="Tiers-lieu",
            now=B),

    # ---- another day: between the years ----
    meeting("Réunion de rentrée lundi 4 janvier à 18h", "2027-01-04 18:00", now=C),
    meeting("Atelier le 2 janvier à 14h", "2027-01-02 14:00", now=C),
    meeting("On se retrouve le 31 décembre à 16h pour ranger ?", "2026-12-31 16:00", now=C),
    nothing("Réunion le 15 décembre à 18h", now=C, needs="90-day"),
    nothing("Atelier le 1er janvier 2099 à 10h", now=C, needs="ten-years"),
    meeting("Qui est dispo mardi 5 janvier à 10h pour la rencontre OVH ?", "2027-01-05 10:00",
            now=C),
    meeting("Je propose une galette des rois le samedi 9 janvier à 16h 👑", "2027-01-09 16:00",
            title="Galette des rois", now=C),
    meeting("Bonne année ! On se retrouve le 7 janvier à 18h30 à la MESHS pour la première "
            "réunion de l'année", "2027-01-07 18:30", place="MESHS", now=C),
]

if __name__ == "__main__":
    for line in TABLE:
        print(json.dumps(line, ensure_ascii=False))
