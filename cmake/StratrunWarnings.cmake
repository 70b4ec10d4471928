# stratrun_target_warnings(target): the project's warning set. Designated initializers
# that leave members at their defaults are idiomatic here, so missing-field-initializers
# is off. STRATRUN_WERROR (on in CI) turns warnings into errors.
option(STRATRUN_WERROR "Treat compiler warnings as errors" OFF)

function(stratrun_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wno-missing-field-initializers
    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual>
    $<$<BOOL:${STRATRUN_WERROR}>:-Werror>)
endfunction()
