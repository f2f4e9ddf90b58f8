//! Every behaviour of the dialogue issue, on the demo commune (Villebourg: closed on Monday
//! morning, open Tuesday 10:15) and on small fixture communes.

use crate::common;

use common::*;
use guichet_agent::{
    ANYTHING_ELSE, Action, Channel, Context, DecisionAction, Engine, HUMAN_OFFER, LineType,
    Pending, Policy, Session, TicketKind,
};

#[test]
fn greeting_discloses_the_robot_and_the_human() {
    let call = Call::voice(demo(), tuesday_open(), MOBILE);
    expect(&call.greeting, DecisionAction::Greet, None);
    let text = said(&call.greeting);
    assert!(
        text.contains("assistant automatique") && text.contains("agent"),
        "{text}"
    );
    assert!(
        !text.to_lowercase().contains("tapez"),
        "no keypad menu: {text}"
    );
    assert!(
        call.greeting
            .actions
            .iter()
            .any(|a| matches!(a, Action::Listen { hints } if !hints.is_empty()))
    );
}

#[test]
fn answers_with_speech_and_sms_from_a_mobile() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("mon passeport est expiré, je dois le refaire");
    expect(
        &reply,
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
    let text = said(&reply);
    assert!(
        !text.contains("http") && !text.contains("www") && !text.contains("**"),
        "{text}"
    );
    assert!(text.ends_with(ANYTHING_ELSE), "{text}");
    assert!(sms(&reply).iter().any(|t| t.contains("https://")));
    assert!(reply.trace.confidence.is_some() && reply.trace.margin.is_some());
    assert_eq!(reply.trace.rule, "best_match");
    assert!(!reply.trace.understood.is_empty());
}

#[test]
fn sms_channel_puts_the_link_in_the_text() {
    let mut call = Call::new(demo(), tuesday_open(), Channel::Sms, MOBILE);
    assert!(call.greeting.say.is_empty(), "no spoken greeting on SMS");
    let reply = call.say("mon passeport est expiré");
    expect(
        &reply,
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
    assert!(sms(&reply).is_empty(), "the reply itself is the SMS");
    let text = said(&reply);
    assert!(
        text.starts_with("Mairie de Villebourg, assistant automatique :"),
        "{text}"
    );
    assert!(text.contains("https://"), "{text}");
    assert!(
        !reply
            .actions
            .iter()
            .any(|a| matches!(a, Action::Listen { .. }))
    );
}

#[test]
fn a_text_reply_writes_a_link_once() {
    // The 3114's site is both its partner's site and the fiche's link.
    let mut call = Call::new(demo(), tuesday_open(), Channel::Sms, MOBILE);
    let reply = call.say("je pense au suicide, je veux en finir");
    expect(&reply, DecisionAction::Deflect, Some("prevention-suicide"));
    let text = said(&reply);
    assert_eq!(text.matches("3114.fr").count(), 1, "{text}");
    let mut call = Call::new(demo(), tuesday_open(), Channel::Sms, MOBILE);
    let reply = call.say("j'ai perdu ma carte vitale");
    expect(&reply, DecisionAction::Deflect, Some("cpam"));
    let text = said(&reply);
    assert_eq!(text.matches("ameli.fr").count(), 1, "{text}");
    // A partner's site other than the fiche's link (the demo's department for the MDPH) is
    // still written beside it.
    let mut call = Call::new(demo(), tuesday_open(), Channel::Sms, MOBILE);
    let reply = call.say("je voudrais demander l'AAH à la MDPH");
    expect(&reply, DecisionAction::Deflect, Some("mdph"));
    let text = said(&reply);
    assert!(
        text.contains("sur https://www.departement-exemple.example"),
        "{text}"
    );
    assert!(
        text.contains("Plus d'informations : https://mdphenligne.cnsa.fr"),
        "{text}"
    );
}

#[test]
fn clarify_accepts_short_answers() {
    for (answer, fiche) in [
        ("perdu", "passeport-perte"),
        ("on me l'a volé", "passeport-vol"),
        ("il est périmé", "passeport-renouvellement"),
        ("c'est la première fois", "passeport-premiere-demande"),
    ] {
        let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
        expect(
            &call.say("je voudrais refaire mon passeport"),
            DecisionAction::Clarify,
            Some("passeport"),
        );
        assert_eq!(
            call.session.pending,
            Pending::Clarify {
                fiche: "passeport".into()
            }
        );
        let reply = call.say(answer);
        expect(&reply, DecisionAction::Answer, Some(fiche));
        assert_eq!(reply.trace.rule, "clarify_option");
    }
}

#[test]
fn a_new_request_during_a_clarification_switches_topic() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    expect(
        &call.say("c'est au sujet de ma carte d'identité"),
        DecisionAction::Clarify,
        Some("cni"),
    );
    let reply =
        call.say("ah non attendez, c'est pour la cantine de mon fils, je voudrais les tarifs");
    expect(&reply, DecisionAction::Answer, Some("cantine"));
}

#[test]
fn a_specific_request_skips_the_clarification() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    expect(
        &call.say("on m'a volé ma carte d'identité"),
        DecisionAction::Answer,
        Some("cni-vol"),
    );
}

#[test]
fn low_transcription_confidence_is_confirmed() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let mut message = inbound(Channel::Voice, MOBILE, "mon passeport est expiré");
    message.asr_confidence = Some(0.3);
    let reply = call.send(message.clone());
    expect(
        &reply,
        DecisionAction::Confirm,
        Some("passeport-renouvellement"),
    );
    assert!(
        said(&reply).starts_with("Vous appelez bien au sujet de"),
        "{}",
        said(&reply)
    );
    expect(
        &call.say("oui"),
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );

    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    call.send(message);
    let reply = call.say("non");
    expect(&reply, DecisionAction::Fallback, None);
    assert_eq!(reply.trace.rule, "confirm_rejected");
    assert_eq!(call.session.misunderstandings, 1);
}

#[test]
fn two_misunderstandings_hand_off() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("quelle est la capitale de l'Australie");
    expect(&reply, DecisionAction::Fallback, None);
    assert!(
        said(&reply).contains("Par exemple"),
        "an example: {}",
        said(&reply)
    );
    let reply = call.say("et qui a gagné le match de foot hier soir");
    expect(&reply, DecisionAction::Transfer, None);
    assert_eq!(reply.trace.rule, "two_misunderstandings");
    assert_eq!(transfer_number(&reply), Some("+33130000000"));
    let transfer = ticket(&reply, TicketKind::Transfer);
    assert!(
        transfer.summary.contains("capitale de l'Australie"),
        "{}",
        transfer.summary
    );
    assert!(call.session.is_ended());

    let mut call = Call::voice(demo(), monday_morning(), MOBILE);
    call.say("je voudrais commander une pizza quatre fromages");
    let reply = call.say("une pizza avec une boisson");
    expect(&reply, DecisionAction::Callback, None);
    assert_eq!(
        ticket(&reply, TicketKind::Callback).topic,
        "Demande non comprise"
    );
}

/// One reformulation, then a human: a guess to confirm after a misunderstanding does not
/// start the count again, so "non" goes to the standard instead of round in circles; and the
/// ticket carries the caller's words, not the topic answered earlier in the call.
#[test]
fn after_one_reformulation_a_rejected_guess_goes_to_a_human() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    expect(
        &call.say("quelle est la capitale de l'Australie"),
        DecisionAction::Fallback,
        None,
    );
    let mut message = inbound(Channel::Voice, MOBILE, "mon passeport est expiré");
    message.asr_confidence = Some(0.3);
    expect(
        &call.send(message),
        DecisionAction::Confirm,
        Some("passeport-renouvellement"),
    );
    let reply = call.say("non");
    expect(&reply, DecisionAction::Transfer, None);
    assert_eq!(reply.trace.rule, "two_misunderstandings");
    let transfer = ticket(&reply, TicketKind::Transfer);
    assert!(
        transfer.summary.contains("capitale de l'Australie"),
        "{}",
        transfer.summary
    );

    let mut call = Call::voice(demo(), monday_morning(), MOBILE);
    expect(
        &call.say("mon passeport est expiré"),
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
    call.say("oui");
    call.say("je voudrais commander une pizza quatre fromages");
    let reply = call.say("une pizza avec une boisson");
    expect(&reply, DecisionAction::Callback, None);
    let callback = ticket(&reply, TicketKind::Callback);
    assert_eq!(callback.topic, "Demande non comprise", "{callback:?}");
    assert_eq!(callback.fiche, None);
    assert!(
        callback.summary.contains("pizza quatre fromages"),
        "{}",
        callback.summary
    );
}

/// Words about the line are not a topic: "allô, je vous entends mal" is answered "je vous
/// entends" with the question again (never a danger line's number), twice in a row goes to a
/// human, and a topic said with them is found without them.
#[test]
fn words_about_the_line_are_answered_not_searched() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("allô oui allô y a personne au bout");
    expect(&reply, DecisionAction::Fallback, None);
    assert_eq!(reply.trace.rule, "line_check");
    assert!(
        said(&reply).starts_with("Je vous entends bien"),
        "{}",
        said(&reply)
    );
    let reply = call.say("ça coupe, je vous entends mal");
    expect(&reply, DecisionAction::Transfer, None);
    assert_eq!(reply.trace.rule, "two_misunderstandings");

    // "Y a quelqu'un ?" asks whether the line is answered, not for a human.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("allô allô il y a quelqu'un");
    expect(&reply, DecisionAction::Fallback, None);
    assert_eq!(reply.trace.rule, "line_check");

    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("allô pardon je vous entends mal, mon passeport est expiré");
    expect(
        &reply,
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
}

/// A call put on hold ("attendez, je cherche mes lunettes", "ne quittez pas, je vous passe mon
/// mari") is waited for, not searched (the insurer for the glasses, the line against domestic
/// violence for "mon mari"); a sure request said after the hold is taken.
#[test]
fn a_call_put_on_hold_is_waited_for() {
    for text in [
        "attendez je cherche mes lunettes",
        "ne quittez pas je vous passe mon mari",
        "euh attendez deux secondes",
    ] {
        let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
        let reply = call.say(text);
        expect(&reply, DecisionAction::Fallback, None);
        assert_eq!(reply.trace.rule, "hold_on", "{text}");
        assert!(
            said(&reply).starts_with("Je vous attends"),
            "{}",
            said(&reply)
        );
    }
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("ah non attendez en fait mon passeport est expiré");
    expect(
        &reply,
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
}

/// A question to the assistant about itself is answered with what it is, and the motive asked.
#[test]
fn questions_about_the_assistant_are_answered_not_searched() {
    for text in [
        "euh c'est quoi votre prénom",
        "vous aimez les chats ou les chiens vous",
        // A question, not a request for a human: the reply says an agent can be passed.
        "euh vous êtes un robot ou une vraie personne",
    ] {
        let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
        let reply = call.say(text);
        expect(&reply, DecisionAction::Fallback, None);
        assert_eq!(reply.trace.rule, "about_the_assistant", "{text}");
        assert!(said(&reply).contains("assistant téléphonique de la mairie"));
    }
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("vous êtes un robot, je veux parler à une vraie personne");
    expect(&reply, DecisionAction::Transfer, None);
    assert_eq!(reply.trace.rule, "explicit_human_request");
}

#[test]
fn silence_is_reprompted_once_then_ends_or_transfers() {
    let mut call = Call::voice(demo(), monday_morning(), MOBILE);
    let reply = call.say("");
    expect(&reply, DecisionAction::Fallback, None);
    assert_eq!(reply.trace.rule, "silence_reprompt");
    let reply = call.say("  ");
    expect(&reply, DecisionAction::Goodbye, None);
    assert!(hangs_up(&reply));

    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    call.say("");
    let reply = call.say("");
    expect(&reply, DecisionAction::Transfer, None);

    // A message in between resets the count.
    let mut call = Call::voice(demo(), monday_morning(), MOBILE);
    call.say("");
    call.say("quels sont les horaires de la mairie");
    expect(&call.say(""), DecisionAction::Fallback, None);
}

#[test]
fn dtmf_zero_transfers_with_context() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    call.say("je voudrais refaire mon passeport");
    let reply = call.press("0");
    expect(&reply, DecisionAction::Transfer, None);
    assert_eq!(reply.trace.rule, "dtmf_zero");
    let ticket = ticket(&reply, TicketKind::Transfer);
    assert_eq!(ticket.fiche.as_deref(), Some("passeport"));
    assert_eq!(ticket.caller, MOBILE);
    assert!(
        ticket.summary.contains("refaire mon passeport"),
        "{}",
        ticket.summary
    );
}

#[test]
fn explicit_human_requests_hand_off() {
    for text in [
        "je voudrais parler à un agent",
        "passez-moi quelqu'un",
        "je ne veux pas parler à un robot, pas un robot",
        "le standard s'il vous plaît",
    ] {
        let mut call = Call::voice(demo(), tuesday_open(), LANDLINE);
        let reply = call.say(text);
        expect(&reply, DecisionAction::Transfer, None);
        assert_eq!(reply.trace.rule, "explicit_human_request", "{text}");
    }
}

#[test]
fn anger_is_acknowledged_then_handled_or_handed_off() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("c'est inadmissible, ras le bol, vous êtes des incompétents");
    expect(&reply, DecisionAction::Transfer, None);
    assert!(said(&reply).starts_with(guichet_agent::ANGER_ACK));

    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("je ne suis pas content, mon passeport est expiré et je pars en voyage");
    assert_eq!(
        reply
            .trace
            .fiche
            .as_deref()
            .map(|f| f.starts_with("passeport")),
        Some(true),
        "{reply:#?}"
    );
    assert!(said(&reply).starts_with(guichet_agent::ANGER_ACK));
}

#[test]
fn handoff_always_fiches_go_to_a_human() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("je veux déposer une réclamation contre un service municipal");
    expect(&reply, DecisionAction::Transfer, Some("reclamation"));
    assert_eq!(
        ticket(&reply, TicketKind::Transfer).fiche.as_deref(),
        Some("reclamation")
    );
}

#[test]
fn no_internet_hands_off_and_says_when_the_mairie_opens() {
    let mut call = Call::voice(demo(), monday_morning(), MOBILE);
    let reply = call.say("je n'ai pas d'ordinateur");
    expect(&reply, DecisionAction::Callback, None);
    assert_eq!(reply.trace.rule, "no_internet");
    let text = said(&reply);
    assert!(
        text.contains("lundi à 13 heures 30") && text.contains("rappellera"),
        "{text}"
    );
    assert!(text.ends_with(ANYTHING_ELSE));
    assert_eq!(call.session.pending, Pending::AnythingElse);
}

#[test]
fn closed_on_a_public_holiday() {
    // Friday 1 May 2026, 10:00: a weekday morning, but a public holiday.
    let mut call = Call::voice(demo(), paris(2026, 5, 1, 10, 0), MOBILE);
    let reply = call.say("je voudrais parler à un conseiller");
    expect(&reply, DecisionAction::Callback, None);
    assert!(transfer_number(&reply).is_none());
    assert!(
        said(&reply).contains("samedi à 9 heures"),
        "{}",
        said(&reply)
    );
    ticket(&reply, TicketKind::Callback);
}

#[test]
fn withheld_numbers_get_no_ticket_but_a_time_to_call_back() {
    let mut call = Call::voice(demo(), monday_morning(), "anonymous");
    let reply = call.say("un agent s'il vous plaît");
    expect(&reply, DecisionAction::Callback, None);
    assert!(tickets(&reply).is_empty());
    assert!(
        said(&reply).contains("masqué") && said(&reply).contains("13 heures 30"),
        "{}",
        said(&reply)
    );
}

#[test]
fn deflect_without_a_report_channel_offers_a_human() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("je dois refaire la carte grise de ma voiture");
    expect(&reply, DecisionAction::Deflect, Some("carte-grise"));
    assert!(said(&reply).contains("agent"), "{}", said(&reply));
    assert!(matches!(call.session.pending, Pending::HumanOffer { .. }));
    let reply = call.say("oui");
    expect(&reply, DecisionAction::Transfer, Some("carte-grise"));
    assert_eq!(
        ticket(&reply, TicketKind::Transfer).topic,
        "Carte grise (certificat d'immatriculation)"
    );
}

#[test]
fn a_matter_of_no_public_service_is_said_so_never_answered() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("ma carte bancaire est bloquée au distributeur");
    expect(&reply, DecisionAction::Fallback, Some("banque"));
    assert_eq!(reply.trace.rule, guichet_agent::OUTSIDE_PUBLIC_SERVICE);
    let text = said(&reply);
    assert!(
        text.contains("ne relève pas de la mairie") && text.contains("opposition"),
        "{text}"
    );
    assert!(text.ends_with(ANYTHING_ELSE), "{text}");
    assert!(
        !call.session.resolved,
        "not counted as a question the mairie answered"
    );
    assert!(
        sms(&reply)
            .iter()
            .any(|text| text.contains("0 892 705 705"))
    );
    // No ticket and no human offered for a bank card: the caller knows where to go.
    assert!(
        !reply
            .actions
            .iter()
            .any(|action| matches!(action, Action::CreateTicket(_) | Action::Transfer { .. }))
    );
    // The caller can still ask the mairie something.
    let reply = call.say("oui, je voudrais refaire mon passeport qui est expiré");
    expect(
        &reply,
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
}

#[test]
fn an_unsure_guess_at_a_matter_of_no_public_service_is_not_confirmed() {
    let question = "je voudrais connaitre le taux pour un pret pour acheter une voiture";
    let hits = demo().search(question);
    let (first, second) = (&hits[0], &hits[1]);
    assert_eq!(first.fiche_id, "banque", "{hits:?}");
    assert!(
        first.confidence - second.confidence < 0.05,
        "a thin margin, which asks for a confirmation: {hits:?}"
    );
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say(question);
    // "Vous appelez bien au sujet de votre banque ?" would lead nowhere the mairie can act:
    // the caller is asked to reformulate instead.
    expect(&reply, DecisionAction::Fallback, None);
    assert_eq!(reply.trace.rule, "not_understood");
    assert!(!said(&reply).contains("au sujet de"), "{}", said(&reply));
}

#[test]
fn two_matters_the_mairie_cannot_settle_in_a_row_go_to_a_human() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let first = call.say("ma box internet ne marche plus depuis hier");
    expect(&first, DecisionAction::Fallback, Some("operateur-telecom"));
    let second = call.say("et mon assurance habitation ne veut pas me rembourser");
    expect(&second, DecisionAction::Transfer, None);
    assert!(
        ticket(&second, TicketKind::Transfer)
            .summary
            .contains("box internet"),
        "the standardiste reads what the caller said"
    );
}

#[test]
fn reports_are_filed_for_the_caller() {
    let mut call = Call::voice(demo(), monday_morning(), MOBILE);
    call.say("il y a un dépôt sauvage de déchets au bout de la rue des Lilas");
    let reply = call.say("oui s'il vous plaît");
    expect(&reply, DecisionAction::Report, Some("depot-sauvage"));
    let report = ticket(&reply, TicketKind::Report);
    assert_eq!(report.partner.as_deref(), Some("agglomeration"));
    let reference = report.reference.clone().unwrap_or_default();
    assert!(reference.starts_with("SIG-"), "{reference}");
    assert!(sms(&reply).iter().any(|t| t.contains(&reference)));

    let mut call = Call::voice(demo(), monday_morning(), LANDLINE);
    call.say("il y a un dépôt sauvage de déchets au 4 chemin des Vignes");
    let reply = call.say("d'accord");
    expect(&reply, DecisionAction::Report, Some("depot-sauvage"));
    assert!(sms(&reply).is_empty());
    assert!(said(&reply).contains("S I G"), "spelled: {}", said(&reply));
}

#[test]
fn a_report_is_passed_on_only_with_its_place() {
    let mut call = Call::voice(demo(), monday_morning(), MOBILE);
    let offer = call.say("il y a un dépôt sauvage de déchets devant chez moi");
    expect(&offer, DecisionAction::Deflect, Some("depot-sauvage"));
    assert!(
        said(&offer).contains("à la Communauté d'agglomération du Val d'Exemple"),
        "the partner's name takes its article: {}",
        said(&offer)
    );
    let question = call.say("oui");
    expect(&question, DecisionAction::Clarify, Some("depot-sauvage"));
    assert!(said(&question).contains("adresse"), "{}", said(&question));
    assert!(tickets(&question).is_empty());
    // A silence repeats the question.
    let again = call.say("");
    assert!(said(&again).contains("adresse"), "{}", said(&again));
    let reply = call.say("au 12 rue des Lilas, devant la boulangerie");
    expect(&reply, DecisionAction::Report, Some("depot-sauvage"));
    let report = ticket(&reply, TicketKind::Report);
    assert!(
        report.summary.contains("12 rue des Lilas") && report.summary.contains("transmis"),
        "{}",
        report.summary
    );
    assert!(said(&reply).contains("je transmets votre signalement à la Communauté"));
}

#[test]
fn without_a_delivery_channel_a_report_waits_at_the_mairie() {
    let mut call = Call::voice(demo(), monday_morning(), MOBILE);
    call.report_channels.clear();
    call.say("il y a un dépôt sauvage de déchets au 3 rue du Moulin");
    let reply = call.say("oui");
    expect(&reply, DecisionAction::Report, Some("depot-sauvage"));
    let text = said(&reply);
    assert!(
        !text.contains("je transmets") && text.contains("un agent de la mairie le transmettra"),
        "never claims a transmission that did not happen: {text}"
    );
    let report = ticket(&reply, TicketKind::Report);
    assert!(
        report.summary.contains("à transmettre"),
        "{}",
        report.summary
    );
    assert!(
        sms(&reply)
            .iter()
            .any(|text| text.contains("sera transmis") && !text.contains("est transmis"))
    );
}

#[test]
fn an_explicit_request_for_a_human_wins_at_the_place_question() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    call.say("il y a un dépôt sauvage devant chez moi");
    call.say("oui");
    let reply = call.say("je préfère parler à quelqu'un");
    assert!(
        matches!(
            reply.trace.action,
            DecisionAction::Transfer | DecisionAction::Callback
        ),
        "{:?}",
        reply.trace
    );
}

#[test]
fn landline_callers_are_told_where_to_go_and_offered_a_human() {
    let mut call = Call::voice(demo(), tuesday_open(), LANDLINE);
    let reply = call.say("mon passeport est expiré");
    expect(
        &reply,
        DecisionAction::Answer,
        Some("passeport-renouvellement"),
    );
    assert!(sms(&reply).is_empty());
    assert!(
        said(&reply).contains("villebourg point example"),
        "{}",
        said(&reply)
    );
    assert!(said(&reply).ends_with(HUMAN_OFFER));
    expect(
        &call.say("oui"),
        DecisionAction::Transfer,
        Some("passeport-renouvellement"),
    );
}

#[test]
fn several_requests_then_satisfaction() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    expect(
        &call.say("quels sont les horaires de la mairie"),
        DecisionAction::Answer,
        Some("horaires-mairie"),
    );
    let reply = call.say("oui");
    expect(&reply, DecisionAction::Clarify, None);
    assert_eq!(reply.trace.rule, "anything_else_yes");
    expect(
        &call.say("et pour inscrire mon fils à la cantine"),
        DecisionAction::Answer,
        Some("cantine"),
    );
    let reply = call.say("non merci, au revoir");
    expect(&reply, DecisionAction::Goodbye, None);
    assert!(said(&reply).contains("utile"), "{}", said(&reply));
    assert!(!hangs_up(&reply));
    let reply = call.say("oui");
    expect(&reply, DecisionAction::Goodbye, None);
    assert_eq!(reply.trace.satisfaction, Some(true));
    assert!(hangs_up(&reply) && call.session.is_ended());
    assert_eq!(call.session.topics, ["horaires-mairie", "cantine"]);
}

#[test]
fn an_explicit_request_for_a_human_wins_at_the_satisfaction_question() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    expect(
        &call.say("quels sont les horaires de la mairie"),
        DecisionAction::Answer,
        Some("horaires-mairie"),
    );
    let reply = call.say("non merci, au revoir");
    assert!(said(&reply).contains("utile"), "{}", said(&reply));
    let reply = call.say("non je veux parler à un agent, la facture est fausse");
    expect(&reply, DecisionAction::Transfer, None);
    assert_eq!(reply.trace.rule, "explicit_human_request");
}

#[test]
fn an_explicit_request_for_a_human_wins_at_a_clarifying_question() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("c'est pour mon passeport");
    expect(&reply, DecisionAction::Clarify, Some("passeport"));
    let reply = call.say("je préfère parler à un agent");
    expect(&reply, DecisionAction::Transfer, None);
    assert_eq!(reply.trace.rule, "explicit_human_request");
}

#[test]
fn goodbye_without_an_answer_hangs_up_at_once() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("au revoir");
    expect(&reply, DecisionAction::Goodbye, None);
    assert!(hangs_up(&reply));
    assert_eq!(reply.trace.satisfaction, None);
}

#[test]
fn sessions_survive_json_between_turns_and_turns_are_deterministic() {
    let engine = Engine::default();
    let ctx = Context {
        now: monday_morning(),
        line: LineType::Mobile,
        knowledge: demo(),
        report_channels: &[],
    };
    let texts = [
        "il y a un dépôt sauvage devant chez moi",
        "je n'ai pas Internet",
        "je voudrais refaire mon passeport",
        "il est expiré",
    ];
    let run = |through_json: bool| {
        let (mut session, _) = engine.start(&inbound(Channel::Voice, MOBILE, ""), &ctx);
        let mut replies = Vec::new();
        for text in texts {
            if through_json {
                let json = serde_json::to_string(&session).unwrap_or_default();
                session = serde_json::from_str::<Session>(&json).unwrap_or_else(|e| panic!("{e}"));
            }
            let (next, reply) = engine.turn(&session, &inbound(Channel::Voice, MOBILE, text), &ctx);
            session = next;
            replies.push(reply);
        }
        replies
    };
    assert_eq!(run(false), run(true));
}

#[test]
fn rollout_windows_send_other_calls_to_the_standard() {
    let knowledge = load(fixture("rollout-window"));
    // Tuesday 10:15: open, outside the robot's window → straight transfer.
    let call = Call::voice(&knowledge, tuesday_open(), MOBILE);
    expect(&call.greeting, DecisionAction::Transfer, None);
    assert_eq!(transfer_number(&call.greeting), Some("+33130000099"));
    assert!(call.session.is_ended());
    // Tuesday 12:30: inside the window → the robot answers.
    let call = Call::voice(&knowledge, paris(2026, 3, 10, 12, 30), MOBILE);
    expect(&call.greeting, DecisionAction::Greet, None);
    // Tuesday 20:00: closed and outside → callback ticket and hang up.
    let call = Call::voice(&knowledge, paris(2026, 3, 10, 20, 0), MOBILE);
    expect(&call.greeting, DecisionAction::Callback, None);
    ticket(&call.greeting, TicketKind::Callback);
    assert!(hangs_up(&call.greeting));
}

#[test]
fn rollout_pilot_numbers() {
    let knowledge = load(fixture("pilot"));
    expect(
        &Call::voice(&knowledge, tuesday_open(), MOBILE).greeting,
        DecisionAction::Greet,
        None,
    );
    expect(
        &Call::voice(&knowledge, tuesday_open(), "+33711223344").greeting,
        DecisionAction::Greet,
        None,
    );
    expect(
        &Call::voice(&knowledge, tuesday_open(), LANDLINE).greeting,
        DecisionAction::Transfer,
        None,
    );
}

#[test]
fn sms_handoffs_are_callbacks_even_when_open() {
    let mut call = Call::new(demo(), tuesday_open(), Channel::Sms, MOBILE);
    let reply = call.say("je veux parler à un agent");
    expect(&reply, DecisionAction::Callback, None);
    assert!(said(&reply).contains("vous répondra"), "{}", said(&reply));
}

#[test]
fn an_emergency_in_progress_gets_the_emergency_numbers_whatever_else_matches() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    // "tombée" shares its stem with the cemetery's "tombe": the search alone answered it.
    let reply = call.say("ma grand-mère est tombée, elle arrive plus à se relever");
    expect(&reply, DecisionAction::Deflect, Some("urgences"));
    assert_eq!(reply.trace.rule, "emergency");
    // Also when a question is pending: the emergency is not read as its answer.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let question = call.say("je voudrais faire un passeport");
    expect(&question, DecisionAction::Clarify, Some("passeport"));
    let reply = call.say("attendez au secours il y a le feu dans la cuisine");
    expect(&reply, DecisionAction::Deflect, Some("urgences"));
    // A smell of gas, whatever words come between.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("ça sent très fort le gaz dans la cage d'escalier");
    expect(&reply, DecisionAction::Deflect, Some("urgences"));
    assert_eq!(reply.trace.rule, "emergency");
    assert!(said(&reply).contains("0 800 47 33 33"), "{}", said(&reply));
    // Violence dated in the past is a complaint to file, not an emergency in progress.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply =
        call.say("la semaine dernière on m'a menacé avec un couteau, je veux porter plainte");
    assert_ne!(reply.trace.rule, "emergency");
}

/// A person in danger who asks to talk to someone gets the line whose listeners answer day and
/// night, not a transfer or a callback from the mairie.
#[test]
fn a_person_in_danger_who_asks_for_someone_gets_the_line_that_listens() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("mon mari me bat depuis des années, j'ai besoin de parler à quelqu'un");
    expect(&reply, DecisionAction::Deflect, Some("violences-femmes"));
    assert_eq!(reply.trace.rule, "danger_line_over_human");
    // The number first, and the human the caller asked for is still offered.
    assert!(said(&reply).contains("39 19"), "{}", said(&reply));
    assert!(
        said(&reply).contains("parler à un agent"),
        "{}",
        said(&reply)
    );
    // Without a sure match on such a line, the request for a human stands.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("mon mari voudrait parler à quelqu'un pour sa carte grise");
    expect(&reply, DecisionAction::Transfer, None);
}

/// When a second line for a person in danger is close behind the sure one (a woman beaten by
/// her partner, with her children), the robot gives the first and names the other one too, in
/// speech and in the SMS; one line alone is given alone.
#[test]
fn a_second_line_for_a_person_in_danger_nearly_as_likely_is_given_too() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("mon compagnon me frappe quand il a bu, je pars avec les petits");
    assert_eq!(
        reply.trace.action,
        DecisionAction::Deflect,
        "{}",
        said(&reply)
    );
    let text = said(&reply);
    assert!(text.contains("39 19") && text.contains("119"), "{text}");
    assert!(
        text.ends_with("Souhaitez-vous parler à un agent de la mairie ?"),
        "the closing question stays last: {text}"
    );
    let texts = sms(&reply);
    assert!(
        texts.len() == 1 && texts[0].contains("3919") && texts[0].contains("119"),
        "{texts:?}"
    );

    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("mon mari me bat depuis des années");
    expect(&reply, DecisionAction::Deflect, Some("violences-femmes"));
    assert!(!said(&reply).contains("119"), "{}", said(&reply));
}

/// An unsure guess at a line for a person in danger is given straight away only when it leads:
/// with another topic as likely ("le carnet où sont marqués les enfants" is the livret de
/// famille's, whatever the 119's "marques"), the robot asks or hands over like for any guess.
#[test]
fn an_unsure_danger_line_that_does_not_lead_is_not_given() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply =
        call.say("depuis ma séparation j'ai plus le petit carnet où les enfants sont marqués");
    assert_ne!(reply.trace.rule, "danger_line");
    assert_ne!(
        reply.trace.action,
        DecisionAction::Deflect,
        "{}",
        said(&reply)
    );
}

#[test]
fn an_unsure_guess_at_a_line_for_a_person_in_danger_is_given_not_asked() {
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply =
        call.say("mon frère est en détresse depuis son licenciement je sais pas quoi faire");
    expect(&reply, DecisionAction::Deflect, Some("prevention-suicide"));
    assert_eq!(reply.trace.rule, "danger_line");
    assert!(
        reply.trace.confidence.unwrap_or(1.0) < Policy::default().answer_confidence,
        "a guess the policy alone would have confirmed"
    );
    // Words of taking one's life name the 3114 whatever else the sentence matches.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say(
        "mon fils il dit qu'il veut mourir depuis qu'il a perdu son travail je sais pas quoi faire",
    );
    expect(&reply, DecisionAction::Deflect, Some("prevention-suicide"));
    assert_eq!(reply.trace.rule, "suicidal_words");
}

#[test]
fn an_unsure_guess_at_a_line_for_a_person_in_danger_is_asked_when_callers_meant_another_thing() {
    // « téléphone » and « petite fille » lead the search, unsure, to the 3919; the recorded
    // questions most like it were meant for no fiche (a child on the phone): asked, not given.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("ma petite fille joue avec le téléphone excusez moi");
    expect(&reply, DecisionAction::Confirm, Some("violences-femmes"));
    assert_eq!(reply.trace.rule, "middling_confidence");
    // A sure match on such a line is never held back, whatever the recorded questions say.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("mon mari me frappe devant les enfants");
    expect(&reply, DecisionAction::Deflect, Some("violences-femmes"));
}

#[test]
fn a_request_the_search_does_not_understand_is_asked_about_when_recorded_callers_agree() {
    // The search is not sure enough even to confirm (« refoulent », « jardin », « orage »); the
    // recorded questions most like it were all meant for the sewers: asked, not « redites ».
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("les égouts refoulent dans le jardin à chaque orage");
    expect(&reply, DecisionAction::Confirm, Some("assainissement"));
    assert_eq!(reply.trace.rule, "recorded_topic");
    assert!(reply.trace.confidence.unwrap_or(1.0) < Policy::default().confirm_confidence);
    // Nothing recorded resembles it: the caller is asked to say it again.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("bla bla bla truc machin");
    expect(&reply, DecisionAction::Fallback, None);
    assert_eq!(reply.trace.rule, "not_understood");
}

#[test]
fn an_unsure_match_is_asked_about_as_recorded_callers_meant_it_unless_its_own_word_was_said() {
    // « se dire oui à la mairie » reads as a room to rent to the search, unsure; the recorded
    // questions most like it were meant for the wedding, which the search sees too.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply =
        call.say("on aimerait se dire oui à la mairie l'été prochain il faut quels papiers");
    expect(&reply, DecisionAction::Confirm, Some("mariage"));
    assert_eq!(reply.trace.rule, "recorded_reading");
    // The recorded questions most like this one ask the mairie's hours, but the caller said
    // the library's own word: the robot asks about the library.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("la bibliothèque elle ferme à midi le samedi");
    expect(&reply, DecisionAction::Confirm, Some("mediatheque"));
    assert_eq!(reply.trace.rule, "middling_confidence");
}

#[test]
fn an_unsure_guess_is_asked_about_only_on_a_word_of_the_fiches_own() {
    // « répond » is only in the Défenseur des droits' answer (an administration that does not
    // answer): the robot asked « vous appelez bien au sujet du Défenseur des droits ? ».
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("tiens ça répond enfin");
    expect(&reply, DecisionAction::Fallback, None);
    assert_eq!(reply.trace.rule, "not_understood");
    assert!(
        reply
            .trace
            .confidence
            .is_some_and(|c| c >= Policy::default().confirm_confidence),
        "the search's guess scores high enough to be asked about: {:?}",
        reply.trace.confidence
    );
}

#[test]
fn a_body_that_specialises_the_best_match_is_named_when_its_public_is_said() {
    // The MSA is the family allowance fund of farm workers: said "exploitant agricole", the
    // CAF's topic goes to the MSA.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("je suis exploitant agricole et c'est pour mes allocations familiales");
    expect(&reply, DecisionAction::Deflect, Some("msa"));
    // Without what makes the caller its public, the general body stays.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("c'est pour mes allocations familiales");
    expect(&reply, DecisionAction::Deflect, Some("caf-allocations"));
    // Nor does a word of the specialised body's example questions only: France Victimes'
    // "on m'a agressé à la sortie du bus" does not make a stolen phone its matter.
    let mut call = Call::voice(demo(), tuesday_open(), MOBILE);
    let reply = call.say("je me suis fait voler mon portable dans le bus");
    expect(&reply, DecisionAction::Deflect, Some("plainte"));
}
