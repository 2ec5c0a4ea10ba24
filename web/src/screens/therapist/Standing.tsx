/** The therapist's standing: how response time, cancellations and rearrangements place them in the listing. */
import { answer, api } from "../../api/client";
import { ErrorNotice, Loading } from "../../components/common";
import { useLoad } from "../../state";

export function StandingView({ therapistId }: { therapistId?: string }) {
  const standing = useLoad(
    () =>
      therapistId
        ? answer(api.GET("/admin/therapists/{therapist_id}/standing", { params: { path: { therapist_id: therapistId } } }))
        : answer(api.GET("/therapists/me/standing")),
    [therapistId],
  );
  const data = standing.data;
  return (
    <section aria-label="Standing">
      <h2>Standing</h2>
      <ErrorNotice error={standing.error} />
      {standing.loading && !data ? <Loading what="the standing" /> : null}
      {data ? (
        <dl className="facts">
          <dt>Median first answer</dt>
          <dd>
            {data.response_time.median_business_minutes === null
              ? "no answers measured yet"
              : `${Math.round(data.response_time.median_business_minutes)} business minutes over ${data.response_time.samples} answers`}
          </dd>
          <dt>Answered within {data.response_sla_business_hours} business hours</dt>
          <dd>{data.response_time.within_sla_ratio === null ? "—" : `${Math.round(data.response_time.within_sla_ratio * 100)}%`}</dd>
          <dt>Cancellations in a row</dt>
          <dd>
            {data.cancellation_streak}
            {data.flagged ? " (flagged: ranked lower)" : ""}
          </dd>
          <dt>Account</dt>
          <dd>{data.deactivated ? "deactivated: hidden and refusing bookings" : "active"}</dd>
          <dt>Rearrangements for your own reasons</dt>
          <dd>
            {data.rearrangements.own_reason} of {data.rearrangements.total_sessions} sessions
          </dd>
          <dt>Rank score</dt>
          <dd>
            {data.rank_score.toFixed(3)} (response time {data.rank_factors.response_time.toFixed(3)}, cancellations{" "}
            {data.rank_factors.cancellations.toFixed(3)}, rearrangements {data.rank_factors.rearrangements.toFixed(3)})
          </dd>
        </dl>
      ) : null}
    </section>
  );
}

export function Standing() {
  return (
    <>
      <h1>Your standing</h1>
      <p>Clients see therapists in order of this score: answering quickly and keeping sessions ranks you higher.</p>
      <StandingView />
    </>
  );
}
