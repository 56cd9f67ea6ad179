package dev.hangar.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static String plainMessageOfParsing(String json) {
        var failure = catchThrowableOfType(UncheckedIOException.class, () -> Json.read(json, JsonNode.class));
        return Json.plainMessage(((JsonProcessingException) failure.getCause()).getOriginalMessage());
    }

    @Test
    void aParsersMessageKeepsWhatIsWrongAndDropsItsAdviceAboutItsOwnSettings() {
        assertThat(plainMessageOfParsing("{\"cpus\": NaN}")).isEqualTo("Non-standard token 'NaN'");
        assertThat(plainMessageOfParsing("{\"a\": 1 // note\n}"))
                .startsWith("Unexpected character ('/' (code 47))").doesNotContain("Feature", "ALLOW_");
        assertThat(Json.plainMessage("Unexpected end-of-input\n at [Source: REDACTED (`StreamReadFeature"
                + ".INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 13]")).isEqualTo("Unexpected end-of-input");
        assertThat(Json.plainMessage("Unexpected character at [Source: REDACTED (`StreamReadFeature"
                + ".INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 13]"))
                .isEqualTo("Unexpected character at line 1, column 13");
        assertThat(Json.plainMessage(null)).isEqualTo("invalid");
    }

    @Test
    void aFractionIsReadFromANumberOnlyNotFromTheTextNaNOrInfinity() {
        assertThat(Json.read("{\"cpus\": 1.5}", dev.hangar.core.job.Resources.class).cpus()).isEqualTo(1.5);
        assertThat(Json.read("{\"cpus\": 2}", dev.hangar.core.job.Resources.class).cpus()).isEqualTo(2.0);
        assertThat(Json.read("{\"cpus\": null}", dev.hangar.core.job.Resources.class)).isNotNull();
        for (String text : java.util.List.of("\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"2\"", "true", "[1]")) {
            var failure = catchThrowableOfType(UncheckedIOException.class,
                    () -> Json.read("{\"cpus\": " + text + "}", dev.hangar.core.job.Resources.class));
            assertThat(failure.getCause()).as(text)
                    .isInstanceOf(com.fasterxml.jackson.databind.exc.MismatchedInputException.class);
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(10) // 1e100000000 made whole takes minutes
    void aWholeNumberIsReadAsJsonSchemaReadsAnIntegerAndAFractionIsNeverCut() {
        for (String whole : java.util.List.of("512", "512.0", "5.12e2", "512.000")) {
            var resources = Json.read("{\"memoryMb\": " + whole + ", \"pids\": " + whole + "}", dev.hangar.core.job.Resources.class);
            assertThat(resources.memoryMb()).as(whole).isEqualTo(512L);
            assertThat(resources.pids()).as(whole).isEqualTo(512);
        }
        assertThat(Json.read("{\"pids\": -0.0}", dev.hangar.core.job.Resources.class).pids()).isZero();
        for (String fraction : java.util.List.of("512.5", "5.125e2", "1e-3", "1e-1000000000")) {
            var failure = catchThrowableOfType(UncheckedIOException.class,
                    () -> Json.read("{\"memoryMb\": " + fraction + "}", dev.hangar.core.job.Resources.class));
            assertThat(failure.getCause()).as(fraction).isInstanceOf(com.fasterxml.jackson.databind.exc.InvalidFormatException.class);
        }
        for (String tooBig : java.util.List.of("{\"pids\": 2147483648.0}", "{\"pids\": 2147483648}", "{\"memoryMb\": 1e30}",
                "{\"memoryMb\": 1e100000000}", "{\"memoryMb\": 1e1000000000}", "{\"memoryMb\": -1E1000000000}",
                "{\"memoryMb\": 1e2147483647}", "{\"memoryMb\": 1e2147483648}", "{\"memoryMb\": 1e99999999999}")) {
            var failure = catchThrowableOfType(UncheckedIOException.class, () -> Json.read(tooBig, dev.hangar.core.job.Resources.class));
            assertThat(failure.getCause()).as(tooBig).isInstanceOf(com.fasterxml.jackson.databind.JsonMappingException.class)
                    .hasCauseInstanceOf(com.fasterxml.jackson.core.exc.InputCoercionException.class);
        }
        for (String text : java.util.List.of("\"512\"", "true", "[1]")) {
            var failure = catchThrowableOfType(UncheckedIOException.class,
                    () -> Json.read("{\"memoryMb\": " + text + "}", dev.hangar.core.job.Resources.class));
            assertThat(failure.getCause()).as(text).isInstanceOf(com.fasterxml.jackson.databind.exc.MismatchedInputException.class);
        }
        assertThat(Json.read("{\"memoryMb\": null}", dev.hangar.core.job.Resources.class)).isNotNull();
    }

    @Test
    void anEnumIsReadFromItsNameOnlyNotFromItsIndex() {
        assertThat(Json.read("{\"trust\": \"UNTRUSTED\"}", dev.hangar.core.job.WorkloadProfile.class).untrusted()).isTrue();
        for (String index : java.util.List.of("0", "1")) {
            var failure = catchThrowableOfType(UncheckedIOException.class,
                    () -> Json.read("{\"trust\": " + index + "}", dev.hangar.core.job.WorkloadProfile.class));
            assertThat(failure).as(index).isNotNull();
            assertThat(failure.getCause()).as(index)
                    .isInstanceOf(com.fasterxml.jackson.databind.exc.MismatchedInputException.class);
        }
    }
}
