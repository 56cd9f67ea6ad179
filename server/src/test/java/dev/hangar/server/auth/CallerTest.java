package dev.hangar.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CallerTest {
    @Test
    void aTenantSeesItsOwnJobsAloneAndAnAdminOrAServerWithoutTokensEveryJob() {
        var teamA = new Caller("team-a", false);
        assertThat(teamA.seesTenant("team-a")).isTrue();
        assertThat(teamA.seesTenant("team-b")).isFalse();
        assertThat(teamA.seesTenant(null)).as("a job of no tenant").isFalse();
        assertThat(new Caller("ops", true).seesTenant("team-b")).isTrue();
        assertThat(Caller.ANYONE.seesTenant(null)).isTrue();
    }

    @Test
    void aCallerWithoutAKnownTokenSeesNoJobNotEvenOneOfNoTenant() {
        assertThat(Caller.NOBODY.seesTenant(null)).isFalse();
        assertThat(Caller.NOBODY.seesTenant("team-a")).isFalse();
    }
}
